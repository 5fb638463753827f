// Every published code comes out as an `InvitekitError` with that `.code`; real failures carry
// their code, message and details; argument errors are TypeErrors; a panic is an exception.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import invitekit from '../index.js'

const { InvitekitError } = invitekit
const published = JSON.parse(readFileSync(new URL('../../testdata/error_codes.json', import.meta.url), 'utf8')).codes
const NOW = new Date('2026-11-21T09:00:00Z')

// The families as documented (README, src/errors.rs); a code moving family is a breaking change.
const FAMILIES = {
  invalid_addresses: ['invalid_batch', 'empty_batch', 'missing_email'],
  invalid_input: [
    'input_too_large', 'invalid_utf8', 'invalid_role', 'invalid_status', 'invalid_expiry_window',
    'invalid_time_zone', 'invalid_token', 'no_email_column', 'invalid_message_text', 'invalid_url',
  ],
  forbidden: ['forbidden', 'email_mismatch', 'email_domain_not_allowed'],
  not_found: [
    'client_not_found', 'invitation_not_found', 'organization_not_found', 'group_not_found',
    'program_not_found', 'signup_link_not_found', 'message_not_found',
  ],
  already_exists: ['client_exists', 'invitation_exists', 'organization_exists', 'group_exists'],
  expired: ['invitation_expired', 'invitation_revoked', 'signup_link_disabled', 'signup_link_exhausted'],
  conflict: [
    'already_invited', 'not_invited', 'already_activated', 'client_archived', 'already_archived',
    'not_archived', 'no_email', 'conflict',
  ],
  storage: ['storage_failed', 'read_failed', 'write_failed', 'entropy_unavailable'],
  delivery: ['delivery_failed'],
}

test('the published codes are the package’s', () => {
  assert.deepEqual([...invitekit.errorCodes], published.map((entry) => entry.code))
  assert.ok(Object.isFrozen(invitekit.errorCodes))
  for (const { code, meaning } of published) assert.equal(invitekit.errorMeaning(code), meaning)
})

test('the ErrorCode union of index.d.ts is the published list', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const union = (name) => {
    const match = dts.match(new RegExp(`export type ${name} =([^]*?)\\n\\n`))
    assert.ok(match, `no union ${name}`)
    return [...match[1].matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1])
  }
  const codes = published.map((entry) => entry.code)
  const entryCodes = union('EntryErrorCode')
  assert.deepEqual(entryCodes, codes.slice(0, codes.indexOf('input_too_large')))
  assert.deepEqual([...entryCodes, ...union('ErrorCode')], codes)
  assert.deepEqual(union('ErrorFamily'), Object.keys(FAMILIES))
})

test('every code comes out as an InvitekitError with that code', () => {
  for (const { code, meaning } of published) {
    const error = invitekit.errorFor(code)
    assert.ok(error instanceof InvitekitError && error instanceof Error, code)
    assert.equal(error.name, 'InvitekitError')
    assert.equal(error.code, code)
    assert.equal(error.message, `${code}: ${meaning}`)
    assert.deepEqual(error.details, {})
    assert.deepEqual(error.entries, [])
    assert.equal(error.permission, null)
    assert.throws(() => { throw error }, { code })
    const custom = new InvitekitError(code, 'the host says so')
    assert.equal(custom.message, `${code}: the host says so`)
  }
})

test('the families are as documented', () => {
  const codes = published.map((entry) => entry.code)
  const expected = structuredClone(FAMILIES)
  expected.invalid_addresses.push(...codes.slice(0, codes.indexOf('input_too_large')))
  const actual = {}
  for (const code of codes) (actual[invitekit.errorFamily(code)] ??= []).push(code)
  for (const family of Object.keys(expected)) {
    assert.deepEqual(new Set(actual[family]), new Set(expected[family]), family)
  }
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort())
})

test('unknown codes are refused with a TypeError', () => {
  for (const build of [
    () => invitekit.errorFor('no_such_code'),
    () => new InvitekitError('no_such_code'),
    () => invitekit.errorMeaning('no_such_code'),
    () => invitekit.errorFamily('no_such_code'),
  ]) {
    assert.throws(build, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /not a published/ })
  }
})

test('real failures carry their code, message and details', () => {
  assert.throws(
    () => invitekit.newOrganization('acme', 'Acme', { createdAt: NOW, expiryDays: 91 }),
    { code: 'invalid_expiry_window', details: { days: 91 } },
  )
  assert.throws(
    () => invitekit.newOrganization('acme', 'Acme', { createdAt: NOW, timeZone: 'Mars/Olympus' }),
    { code: 'invalid_time_zone', details: { name: 'Mars/Olympus' } },
  )
  const record = new invitekit.ClientRecord(invitekit.newClient('c1', 'acme', { createdAt: NOW, email: 'jane@example.com' }))
  const org = invitekit.newOrganization('acme', 'Acme', { createdAt: NOW })
  assert.throws(
    () => record.resend(org, { invitationId: 'i1', tokenHash: invitekit.mintToken().tokenHash, now: NOW }),
    (error) => {
      assert.ok(error instanceof InvitekitError)
      assert.equal(error.code, 'not_invited')
      assert.deepEqual(error.details, { command: 'resend', status: 'provisioned' })
      assert.equal(error.permission, null)
      // The stack starts at the caller, not inside the package.
      assert.match(error.stack.split('\n')[1], /errors\.test\.mjs/)
      return true
    },
  )
  const admin = invitekit.newClient('a1', 'acme', { createdAt: NOW, role: 'admin' })
  assert.throws(() => invitekit.authorize({ id: 's1', role: 'staff' }, 'archive', admin), {
    code: 'forbidden',
    permission: 'manage_admins',
    message: 'forbidden: this needs the manage_admins permission',
  })
})

test('row errors do not throw', () => {
  const rows = invitekit.importCsv('email,role\na@example.com,owner\n').rows
  assert.equal(rows[0].error, 'invalid_role')
})

test('arguments of the wrong type or shape are TypeErrors with Node’s codes', () => {
  assert.throws(() => invitekit.parseOne(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => invitekit.clientStatus({ id: 'c1' }, [], NOW), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => invitekit.grants('admin', 'fly'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => invitekit.deadline('2026-11-21'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
})

test('a panic becomes an exception and the process goes on', () => {
  // In a child process, so the panic message on stderr does not clutter this run.
  const index = fileURLToPath(new URL('../index.js', import.meta.url))
  const binding = fileURLToPath(new URL('../binding.js', import.meta.url))
  const script = `
    const invitekit = require(${JSON.stringify(index)})
    try { require(${JSON.stringify(binding)})._panic('boom') } catch (e) { console.log(e instanceof Error, e.message) }
    console.log(invitekit.parseOne('a@example.com').key)
  `
  const done = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(done.status, 0, done.stderr)
  assert.deepEqual(done.stdout.trim().split('\n'), ['true boom', 'a@example.com'])
})
