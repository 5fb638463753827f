'use strict'
/**
 * Stores written in JavaScript for `new Invitations({ store })`: the `DocumentBackend`
 * contract and `MemoryBackend`, its reference implementation.
 *
 * The rules, queries and statuses stay in the native core; a backend only keeps documents.
 * A document is `[key, version, body]`: `body` is JSON text the backend stores as given and
 * never parses, `version` starts at 1 and goes up by 1 with each write. Every method may answer
 * directly or return a Promise (an async database: pg, Prisma, an ORM).
 *
 * - `get(kind, key)` answers the document, or `null`;
 * - `scan(kind, prefix)` answers every document of `kind` whose key starts with `prefix`,
 *   ordered by key in code point order (UTF-8 byte order: in SQL `ORDER BY key COLLATE "C"`,
 *   and `substr(key, 1, length(prefix)) = prefix`, never `LIKE`). JavaScript's default string
 *   order is UTF-16 order, which differs for characters beyond U+FFFF: use `compareKeys`.
 * - `commit(writes)` applies an array of `{ kind, key, expected, body }` all or nothing:
 *   `expected` is `0` (the document must not exist), a version (it must have exactly that
 *   version) or `null` (anything); `body` `null` deletes. When an expectation fails, apply
 *   nothing and throw (or reject with) `conflictError()`, an `Error` whose `code` is
 *   `"conflict"`: the core then runs the batch again from fresh reads. Any other exception or
 *   rejection ends the call, whose Promise rejects with that very error.
 *
 * The core calls these methods on the main thread, from a worker thread that waits for their
 * Promises; the event loop never waits (see STORES.md).
 */

/**
 * An `Error` whose `code` is `"conflict"`: what `commit` throws (or rejects with) when an
 * expectation fails.
 * @param {string} [message]
 * @returns {Error & { code: 'conflict' }}
 */
function conflictError(message) {
  const error = new Error(
    message ?? 'conflict: the record changed since it was read, so nothing was written: retry',
  )
  error.code = 'conflict'
  return error
}

/**
 * Compares two keys in code point order (UTF-8 byte order), as `scan` must order them.
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
function compareKeys(a, b) {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x !== y) {
      // UTF-16 puts surrogates (U+D800..U+DFFF, the halves of characters beyond U+FFFF)
      // before U+E000..U+FFFF; code point order puts them after.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000
      }
      return x - y
    }
  }
  return a.length - b.length
}

function holds(found, expected) {
  if (expected === null || expected === undefined) return true
  if (expected === 0) return found === undefined
  return found !== undefined && found.version === expected
}

/**
 * Documents in `Map`s: for tests, and the reference for a backend on a real database. Its
 * methods are `async`, like a database client's; several `Invitations` may share one backend.
 */
class MemoryBackend {
  /** @type {Map<string, Map<string, { version: number, body: string }>>} */
  #kinds = new Map()

  constructor() {
    /** How many commits succeeded (for tests). */
    this.commits = 0
  }

  /**
   * @param {string} kind
   * @param {string} key
   * @returns {Promise<[string, number, string] | null>}
   */
  async get(kind, key) {
    const found = this.#kinds.get(kind)?.get(key)
    return found === undefined ? null : [key, found.version, found.body]
  }

  /**
   * @param {string} kind
   * @param {string} prefix
   * @returns {Promise<Array<[string, number, string]>>}
   */
  async scan(kind, prefix) {
    const docs = this.#kinds.get(kind)
    if (docs === undefined) return []
    const keys = []
    for (const key of docs.keys()) if (key.startsWith(prefix)) keys.push(key)
    keys.sort(compareKeys)
    return keys.map((key) => {
      const { version, body } = docs.get(key)
      return [key, version, body]
    })
  }

  /**
   * @param {Array<{ kind: string, key: string, expected: number | null, body: string | null }>} writes
   * @returns {Promise<void>}
   */
  async commit(writes) {
    // Checked and applied in one synchronous stretch: nothing else runs in between.
    for (const { kind, key, expected } of writes) {
      if (!holds(this.#kinds.get(kind)?.get(key), expected)) throw conflictError()
    }
    for (const { kind, key, body } of writes) {
      let docs = this.#kinds.get(kind)
      if (docs === undefined) {
        docs = new Map()
        this.#kinds.set(kind, docs)
      }
      const found = docs.get(key)
      if (body === null || body === undefined) docs.delete(key)
      else docs.set(key, { version: found === undefined ? 1 : found.version + 1, body })
    }
    this.commits += 1
  }
}

module.exports = { MemoryBackend, conflictError, compareKeys }
