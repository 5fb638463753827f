// Replays testdata/addresses.json through `parseAddresses`.
//
// Every case is checked and every disagreement reported (case id, field, expected, actual), not
// only the first. The file gives `start`/`end` as UTF-8 byte offsets; JavaScript's entries give
// UTF-16 offsets (string indices), so the expected offsets are converted before comparing.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import invitekit from '../index.js'

const { parseAddresses, parseOne, InvitekitError } = invitekit
const cases = JSON.parse(readFileSync(new URL('../../testdata/addresses.json', import.meta.url), 'utf8')).cases

const FIELDS = ['line', 'column', 'name', 'address', 'normalized', 'key', 'smtputf8']

/** `snake_case` option names as `camelCase`. */
function options(snake = {}) {
  return Object.fromEntries(
    Object.entries(snake).map(([key, value]) => [key.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), value]),
  )
}

/** The UTF-16 offset of a UTF-8 byte offset into `text`. */
function utf16(text, byteOffset) {
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length
}

function replay(testCase) {
  const failures = []
  const check = (field, expected, actual) => {
    if (!Object.is(expected, actual) && JSON.stringify(expected) !== JSON.stringify(actual)) {
      failures.push(`${testCase.id}: ${field}\n    expected: ${JSON.stringify(expected)}\n    actual:   ${JSON.stringify(actual)}`)
    }
  }
  const text = testCase.input
  if ('error' in testCase) {
    try {
      parseAddresses(text, options(testCase.options))
      failures.push(`${testCase.id}: expected error ${testCase.error}, parse succeeded`)
    } catch (error) {
      check('error', testCase.error, error.code)
      check('error is an InvitekitError', true, error instanceof InvitekitError)
    }
    return failures
  }
  const list = parseAddresses(text, options(testCase.options))
  check('acceptable', testCase.acceptable, list.acceptable)
  check('number of entries', testCase.entries.length, list.entries.length)
  testCase.entries.forEach((expected, index) => {
    const entry = list.entries[index]
    if (entry === undefined) return
    const where = `entries[${index}]`
    check(`${where}.index`, index, entry.index)
    check(`${where}.raw`, expected.raw, entry.raw)
    check(`${where}.error`, expected.error, entry.error)
    // Positions are UTF-16 offsets: the entry's text is exactly this slice of the input.
    check(`${where} text.slice(start, end)`, entry.raw, text.slice(entry.start, entry.end))
    if ('start' in expected) check(`${where}.start`, utf16(text, expected.start), entry.start)
    if ('end' in expected) check(`${where}.end`, utf16(text, expected.end), entry.end)
    for (const field of FIELDS) {
      if (field in expected) check(`${where}.${field}`, expected[field], entry[field])
    }
    if ('duplicate_of' in expected) check(`${where}.duplicateOf`, expected.duplicate_of, entry.duplicateOf)
  })
  // The counts agree with the entries.
  const errors = list.entries.map((entry) => entry.error)
  const count = (code) => errors.filter((error) => error === code).length
  check('valid', count(null), list.valid)
  check('duplicates', count('duplicate'), list.duplicates)
  check('overLimit', count('over_limit'), list.overLimit)
  check('invalid', errors.length - count(null) - count('duplicate') - count('over_limit'), list.invalid)
  return failures
}

test('every case of addresses.json', () => {
  assert.ok(cases.length >= 300, `only ${cases.length} cases`)
  const ids = cases.map((testCase) => testCase.id)
  assert.equal(new Set(ids).size, ids.length, 'case ids are not unique')
  const failures = cases.flatMap(replay)
  assert.equal(failures.length, 0, `${failures.length} failure(s):\n${failures.join('\n')}`)
})

test('entries are plain objects with every field, in a fixed order', () => {
  const list = parseAddresses('Jane Doe <Jane@Example.COM>; bob@example, jane@example.com')
  assert.deepEqual(Object.keys(list), ['acceptable', 'valid', 'invalid', 'duplicates', 'overLimit', 'entries'])
  assert.deepEqual(list.entries[0], {
    index: 0,
    raw: 'Jane Doe <Jane@Example.COM>',
    start: 0,
    end: 27,
    line: 1,
    column: 1,
    name: 'Jane Doe',
    address: 'Jane@Example.COM',
    normalized: 'Jane@example.com',
    key: 'jane@example.com',
    smtputf8: false,
    error: null,
    duplicateOf: null,
  })
  assert.equal(list.entries[1].error, 'dotless_domain')
  assert.equal(list.entries[2].error, 'duplicate')
  assert.equal(list.entries[2].duplicateOf, 0)
  assert.deepEqual([list.valid, list.invalid, list.duplicates, list.overLimit, list.acceptable], [1, 1, 1, 0, false])
  // JSON-compatible.
  assert.deepEqual(JSON.parse(JSON.stringify(list)), list)
})

test('positions are UTF-16 offsets beyond the basic plane', () => {
  const text = '😀 Jané <jané@bücher.example>,\u3000用户@例え.jp\n  x@y, "Smith, 😀" <s@example.com> (comment)'
  const list = parseAddresses(text)
  assert.deepEqual(
    list.entries.map((e) => text.slice(e.start, e.end)),
    list.entries.map((e) => e.raw),
  )
  assert.deepEqual(list.entries.map((e) => e.raw).slice(0, 3), ['😀 Jané <jané@bücher.example>', '用户@例え.jp', 'x@y'])
  assert.equal(list.entries[0].name, '😀 Jané')
  assert.equal(list.entries[0].normalized, 'jané@xn--bcher-kva.example')
  assert.equal(list.entries[1].normalized, '用户@xn--r8jz45g.jp')
  assert.equal(list.entries[1].smtputf8, true)
  assert.deepEqual([list.entries[2].line, list.entries[2].column], [2, 3])
  assert.equal(list.entries[3].name, 'Smith, 😀')
})

test('options are camelCase with the core defaults', () => {
  const over = parseAddresses('a@example.com b@example.com', { maxAddresses: 1 })
  assert.deepEqual(over.entries.map((e) => e.error), [null, 'over_limit'])
  assert.equal(parseAddresses('a@intranet', { allowDotlessDomain: true }).acceptable, true)
  assert.equal(parseAddresses('a@intranet').acceptable, false)
  assert.equal(parseAddresses('a@example.com', null).valid, 1)
  assert.equal(invitekit.DEFAULT_MAX_ADDRESSES, 200)
  assert.equal(invitekit.DEFAULT_MAX_INPUT_BYTES, 64 * 1024)
  assert.equal(invitekit.MAX_INPUT_CEILING, 2 ** 30)
  assert.throws(() => parseAddresses('a@example.com', { maxAddresses: 'x' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
})

test('input limits', () => {
  assert.throws(() => parseAddresses('x'.repeat(70_000)), (error) => {
    assert.ok(error instanceof InvitekitError)
    assert.equal(error.code, 'input_too_large')
    assert.deepEqual(error.details, { limit: 65536 })
    assert.equal(error.message, 'input_too_large: the input is larger than the limit of 65536 bytes')
    return true
  })
  // Counted in UTF-8 bytes, as the core does: 30,000 three-byte characters are too many.
  assert.throws(() => parseAddresses('用'.repeat(30_000)), { code: 'input_too_large' })
  assert.throws(() => parseAddresses('a@example.com', { maxInputBytes: 4 }), { code: 'input_too_large', details: { limit: 4 } })
  assert.throws(() => parseAddresses(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
})

test('a large paste', () => {
  const text = Array.from({ length: 50_000 }, (_, i) => `User ${i} <user${i}@example${i % 97}.com>`).join('\n')
  const list = parseAddresses(text, { maxAddresses: 1_000_000, maxInputBytes: 1 << 30 })
  assert.equal(list.valid, 50_000)
  const last = list.entries.at(-1)
  assert.equal(text.slice(last.start, last.end), last.raw)
  assert.equal(last.name, 'User 49999')
  assert.equal(last.line, 50_000)
})

test('parseOne', () => {
  assert.deepEqual(parseOne(' Jane@Example.COM '), { address: 'Jane@example.com', key: 'jane@example.com' })
  assert.throws(() => parseOne('jane@example'), { code: 'dotless_domain' })
  assert.throws(() => parseOne('a@example.com b@example.com'), { code: 'unexpected_text' })
  assert.equal(parseOne('jane@example', { allowDotlessDomain: true }).key, 'jane@example')
})
