'use strict'

// The npm package `invitekit`: the native addon (loaded by the generated `binding.js`) with a
// thin layer in front of it. `index.d.ts` types all of it; see README.md.
//
// What this layer adds, and why it is JavaScript:
//
// - Errors. A native error cannot carry more than a message and a napi status, and it is often
//   made where no JavaScript is at hand (a worker thread). So the addon encodes an invitekit
//   error into the napi error's `cause` (`src/errors.rs`), and every native function and method
//   is wrapped here to rethrow it as an `InvitekitError` with `.code`, `.details` and
//   `.entries` (Promises are unwrapped the same way). A napi argument error becomes a
//   `TypeError` with Node's own codes. Any other thrown value passes through as it is: a host's
//   exception from a store or a mailer comes back as the very object it threw.
// - `parseAddresses`. Building 200 objects through Node-API costs more than parsing them, so the
//   addon returns columns (one Int32Array and one string) and the entries are built here, their
//   texts sliced from the caller's own string.

const native = require('./binding.js')

const MARKER = 'invitekit:error:' // `errors::MARKER` in src/errors.rs
const STRIDE = 19 // `parse::STRIDE` in src/parse.rs

/** napi statuses of argument errors, and the Node code their TypeError gets. */
const ARGUMENT_ERRORS = {
  InvalidArg: 'ERR_INVALID_ARG_VALUE',
  ObjectExpected: 'ERR_INVALID_ARG_TYPE',
  StringExpected: 'ERR_INVALID_ARG_TYPE',
  NameExpected: 'ERR_INVALID_ARG_TYPE',
  FunctionExpected: 'ERR_INVALID_ARG_TYPE',
  NumberExpected: 'ERR_INVALID_ARG_TYPE',
  BooleanExpected: 'ERR_INVALID_ARG_TYPE',
  ArrayExpected: 'ERR_INVALID_ARG_TYPE',
  BigintExpected: 'ERR_INVALID_ARG_TYPE',
  DateExpected: 'ERR_INVALID_ARG_TYPE',
  ArrayBufferExpected: 'ERR_INVALID_ARG_TYPE',
  DetachableArraybufferExpected: 'ERR_INVALID_ARG_TYPE',
}

const errorCodes = Object.freeze(native._errorCodes())
const BUILT = Symbol('invitekit.built')

/** A TypeError with a Node code, its stack starting at `callee`'s caller. */
function typeError(code, message, callee) {
  const error = new TypeError(message)
  error.code = code
  if (callee) Error.captureStackTrace(error, callee)
  return error
}

/**
 * Every failure invitekit reports: an `Error` with a stable `code` (one of `errorCodes`),
 * `message` (`"code: text"`), `details`, `entries` (a refused batch's entries at fault) and
 * `permission` (what `forbidden` lacks).
 */
class InvitekitError extends Error {
  constructor(code, message, built) {
    let text
    let details = {}
    let entries = []
    if (built !== undefined && built[BUILT] === true) {
      text = message
      details = built.details
      entries = built.entries
    } else {
      if (typeof code !== 'string' || !errorCodes.includes(code)) {
        throw typeError(
          'ERR_INVALID_ARG_VALUE',
          `${JSON.stringify(String(code))} is not a published invitekit error code`,
          new.target,
        )
      }
      if (message !== undefined && message !== null && typeof message !== 'string') {
        throw typeError('ERR_INVALID_ARG_TYPE', 'message: expected a string', new.target)
      }
      text = native._errorFor(code, message ?? null)[1]
    }
    super(text)
    this.code = code
    this.details = Object.freeze({ ...details })
    this.entries = Object.freeze(entries.map((entry) => Object.freeze({ ...entry })))
    this.permission = this.details.permission ?? null
  }
}
Object.defineProperty(InvitekitError.prototype, 'name', {
  value: 'InvitekitError',
  writable: true,
  configurable: true,
})

/** An `InvitekitError` carrying `code`, with `message` (the code's meaning by default). */
function errorFor(code, message) {
  const error = new InvitekitError(code, message)
  Error.captureStackTrace(error, errorFor)
  return error
}

/**
 * The error a caller should see for `error`, thrown by the addon: a decoded `InvitekitError`,
 * a `TypeError` for a napi argument error, or `error` itself.
 */
function decode(error, callee) {
  if (error === null || typeof error !== 'object') return error
  const cause = error.cause
  if (cause instanceof Error && typeof cause.message === 'string' && cause.message.startsWith(MARKER)) {
    let payload
    try {
      payload = JSON.parse(cause.message.slice(MARKER.length))
    } catch {
      return error
    }
    const decoded = new InvitekitError(payload.code, error.message, {
      [BUILT]: true,
      details: payload.details,
      entries: payload.entries,
    })
    if (callee) Error.captureStackTrace(decoded, callee)
    return decoded
  }
  if (Object.hasOwn(ARGUMENT_ERRORS, error.code) && !(error instanceof InvitekitError)) {
    return typeError(ARGUMENT_ERRORS[error.code], error.message, callee)
  }
  return error
}

function rejectDecoded(error) {
  throw decode(error)
}

/**
 * Whether `value` is an error the addon encoded (see `decode`), such as the refusal of one
 * client in a bulk command's answer, handed back as a value rather than thrown.
 */
function isEncoded(value) {
  return (
    value instanceof Error &&
    value.cause instanceof Error &&
    typeof value.cause.message === 'string' &&
    value.cause.message.startsWith(MARKER)
  )
}

/**
 * `value` (what a Promise of the addon resolved to) with the encoded errors it holds, in plain
 * objects and arrays down to `depth` levels, replaced by `InvitekitError`s.
 */
function decodeWithin(value, depth = 4) {
  if (value === null || typeof value !== 'object' || depth === 0) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (isEncoded(item)) value[i] = decode(item)
      else if (item !== null && typeof item === 'object') decodeWithin(item, depth - 1)
    }
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const key of Object.keys(value)) {
      const item = value[key]
      if (isEncoded(item)) value[key] = decode(item)
      else if (item !== null && typeof item === 'object') decodeWithin(item, depth - 1)
    }
  }
  return value
}

/** `fn` with its errors (thrown, or rejections of a returned Promise) decoded. */
function wrapFunction(fn, name = fn.name) {
  const wrapped = {
    [name](...args) {
      let result
      try {
        result = Reflect.apply(fn, this, args)
      } catch (error) {
        throw decode(error, wrapped)
      }
      return result instanceof Promise ? result.then(decodeWithin, rejectDecoded) : result
    },
  }[name]
  return wrapped
}

/**
 * A native class with the errors of its constructor, methods, accessors and static methods
 * decoded. Methods are replaced on the prototype itself, so instances a factory returns are
 * covered too, and `instanceof` works with the returned class.
 */
function wrapClass(Class) {
  for (const target of [Class.prototype, Class]) {
    for (const key of Reflect.ownKeys(target)) {
      if (key === 'constructor' || key === 'prototype' || key === 'length' || key === 'name') continue
      const descriptor = Object.getOwnPropertyDescriptor(target, key)
      if (!descriptor.configurable && !descriptor.writable) continue
      const label = typeof key === 'symbol' ? key.description ?? '' : key
      if (typeof descriptor.value === 'function') descriptor.value = wrapFunction(descriptor.value, label)
      if (typeof descriptor.get === 'function') descriptor.get = wrapFunction(descriptor.get, label)
      if (typeof descriptor.set === 'function') descriptor.set = wrapFunction(descriptor.set, label)
      if (descriptor.configurable) Object.defineProperty(target, key, descriptor)
      else if (descriptor.writable) target[key] = descriptor.value
    }
  }
  return new Proxy(Class, {
    construct(target, args, newTarget) {
      try {
        return Reflect.construct(target, args, newTarget)
      } catch (error) {
        throw decode(error, newTarget)
      }
    },
    apply(target, thisArg, args) {
      try {
        return Reflect.apply(target, thisArg, args)
      } catch (error) {
        throw decode(error)
      }
    },
  })
}

const DEFAULT_MAX_INPUT_BYTES = native.DEFAULT_MAX_INPUT_BYTES
const MAX_INPUT_CEILING = native.MAX_INPUT_CEILING

/** Whether the reference at `at` is `[where, start, end]`. */
function sameSpan(fields, at, where, start, end) {
  return fields[at] === where && fields[at + 1] === start && fields[at + 2] === end
}

/** Whether the references at `a` and `b` are the same. */
function sameRef(fields, a, b) {
  return fields[a] === fields[b] && fields[a + 1] === fields[b + 1] && fields[a + 2] === fields[b + 2]
}

/** One of an entry's texts: none, a slice of the input, or a slice of the pool. */
function part(text, pool, where, start, end) {
  return where === 0 ? null : where === 1 ? text.slice(start, end) : pool.slice(start, end)
}

/**
 * Parses a pasted list of addresses: every entry with its exact place in `text` (UTF-16
 * offsets: `text.slice(e.start, e.end) === e.raw`) and one verdict.
 */
function parseAddresses(text, options) {
  if (typeof text !== 'string') {
    throw typeError('ERR_INVALID_ARG_TYPE', `text: expected a string, got ${typeof text}`, parseAddresses)
  }
  // A string has at most as many UTF-16 code units as UTF-8 bytes: refuse a longer one before
  // it is copied.
  const max = options?.maxInputBytes
  const limit = Math.min(Number.isInteger(max) && max >= 0 ? max : DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_CEILING)
  let columns
  try {
    if (text.length > limit) native._inputTooLarge(limit)
    columns = native._parseColumns(text, options)
  } catch (error) {
    throw decode(error, parseAddresses)
  }
  const fields = columns.fields
  const pool = columns.pool
  const count = fields.length / STRIDE
  const entries = new Array(count)
  for (let i = 0, o = 0; i < count; i++, o += STRIDE) {
    const start = fields[o]
    const end = fields[o + 1]
    const raw = text.slice(start, end)
    // An entry's texts are often the same slice (an address as typed is its raw text, its
    // normal form the address, its key the normal form): the same string is reused then.
    const address = sameSpan(fields, o + 10, 1, start, end)
      ? raw
      : part(text, pool, fields[o + 10], fields[o + 11], fields[o + 12])
    const normalized = sameRef(fields, o + 13, o + 10)
      ? address
      : part(text, pool, fields[o + 13], fields[o + 14], fields[o + 15])
    const key = sameRef(fields, o + 16, o + 13)
      ? normalized
      : part(text, pool, fields[o + 16], fields[o + 17], fields[o + 18])
    const error = fields[o + 4]
    const duplicateOf = fields[o + 5]
    entries[i] = {
      index: i,
      raw,
      start,
      end,
      line: fields[o + 2],
      column: fields[o + 3],
      name: fields[o + 7] === 0 ? null : part(text, pool, fields[o + 7], fields[o + 8], fields[o + 9]),
      address,
      normalized,
      key,
      smtputf8: fields[o + 6] === 1,
      error: error < 0 ? null : errorCodes[error],
      duplicateOf: duplicateOf < 0 ? null : duplicateOf,
    }
  }
  return {
    acceptable: columns.acceptable,
    valid: columns.valid,
    invalid: columns.invalid,
    duplicates: columns.duplicates,
    overLimit: columns.overLimit,
    entries,
  }
}

for (const [name, value] of Object.entries(native)) {
  // `_name`: the addon's internals, used above.
  if (/^_[A-Za-z]/.test(name)) continue
  if (typeof value !== 'function') module.exports[name] = value
  else if (/^[A-Z]/.test(name)) module.exports[name] = wrapClass(value)
  else module.exports[name] = wrapFunction(value, name)
}

module.exports.InvitekitError = InvitekitError
module.exports.errorCodes = errorCodes
module.exports.errorFor = errorFor
module.exports.parseAddresses = parseAddresses
module.exports.EXPORT_HEADER = Object.freeze(native._exportHeader())

// The JavaScript parts of the service: stores written in JavaScript (`MemoryBackend`, ...).
Object.assign(module.exports, require('./lib/backends.js'))
