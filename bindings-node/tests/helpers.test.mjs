// Tokens, CSV import and export, the invitation email, access, and the unions of index.d.ts.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import invitekit from '../index.js'

// The addon's internals (`_name`), which the package does not export.
const binding = createRequire(import.meta.url)('../binding.js')

const NOW = new Date('2026-11-21T09:00:00Z')
const DAY = 86_400_000

test('tokens are minted, hashed and verified', () => {
  const { token, tokenHash } = invitekit.mintToken()
  assert.equal(token.length, invitekit.TOKEN_LEN)
  assert.equal(invitekit.TOKEN_LEN, 43)
  assert.match(tokenHash, /^[0-9a-f]{64}$/)
  assert.equal(invitekit.hashToken(token), tokenHash)
  assert.equal(invitekit.hashToken(`  ${token}\n`), tokenHash)
  assert.equal(invitekit.verifyToken(token, tokenHash), true)
  assert.equal(invitekit.verifyToken(token, tokenHash.toUpperCase()), true)
  const other = invitekit.mintToken().token
  assert.notEqual(other, token)
  assert.equal(invitekit.verifyToken(other, tokenHash), false)
  assert.equal(invitekit.verifyToken('not a token', tokenHash), false)
  assert.throws(() => invitekit.verifyToken(token, 'abc'), { code: 'invalid_token' })
  assert.throws(() => invitekit.hashToken('x'.repeat(43)), { code: 'invalid_token' })
})

test('ids are random with a prefix', () => {
  const [first, second] = [invitekit.mintId('cl_'), invitekit.mintId('cl_')]
  assert.ok(first.startsWith('cl_'))
  assert.equal(first.length, 3 + 22)
  assert.notEqual(first, second)
  assert.equal(invitekit.mintId().length, 22)
})

test('import reads rows with their own errors', () => {
  const data =
    '\ufeffName;E-mail Address;Role\nJane Doe;jane@example.com;client\nBob;bob@;guest\n;;\nJ;JANE@example.com;staff\nX;;client\n'
  const rows = invitekit.importCsv(data)
  assert.equal(rows.rows.length, 4)
  assert.deepEqual(rows.layout, {
    delimiter: ';', email: 1, firstName: null, group: null, header: true, lastName: null, name: 0, program: null, role: 2,
  })
  assert.deepEqual(rows.rows[0], {
    duplicateOfLine: null,
    email: { address: 'jane@example.com', key: 'jane@example.com' },
    error: null,
    group: null,
    line: 2,
    name: 'Jane Doe',
    program: null,
    rawEmail: 'jane@example.com',
    role: 'client',
  })
  assert.deepEqual(
    rows.rows.map((row) => [row.line, row.error]),
    [[2, null], [3, 'missing_domain'], [5, 'duplicate'], [6, 'missing_email']],
  )
  assert.equal(rows.rows[2].duplicateOfLine, 2)
  assert.deepEqual(
    [rows.valid, rows.invalid, rows.duplicates, rows.overLimit, rows.acceptable],
    [1, 2, 1, 0, false],
  )
  assert.deepEqual(rows.errors.map((row) => row.line), [3, 5, 6])
  // Bytes and text give the same rows; the result is JSON-compatible.
  assert.deepEqual(invitekit.importCsv(Buffer.from(data, 'utf8')), rows)
  assert.deepEqual(invitekit.importCsv(new TextEncoder().encode(data)), rows)
  assert.deepEqual(JSON.parse(JSON.stringify(rows)), rows)
})

test('import cap and bounds', () => {
  const data = 'email\n' + Array.from({ length: 5 }, (_, i) => `user${i}@example.com\n`).join('')
  const rows = invitekit.importCsv(data, { maxAddresses: 3 })
  assert.deepEqual(rows.rows.map((row) => row.error), [null, null, null, 'over_limit', 'over_limit'])
  assert.equal(rows.acceptable, false)
  assert.throws(() => invitekit.importCsv(data, { maxBytes: 20 }), { code: 'input_too_large' })
  assert.throws(() => invitekit.importCsv(Buffer.from('name,city\nJane,Paris\n')), { code: 'no_email_column' })
  const badRow = invitekit.importCsv(Buffer.concat([Buffer.from('email\na@example.com\n'), Buffer.from([0xff]), Buffer.from('@example.com\n')]))
  assert.deepEqual(badRow.rows.map((row) => row.error), [null, 'invalid_utf8'])
  assert.equal(invitekit.importCsv('x@intranet\n', { allowDotlessDomain: true }).rows[0].error, null)
  assert.throws(() => invitekit.importCsv(['email']), { name: 'TypeError' })
  assert.equal(invitekit.DEFAULT_MAX_CSV_BYTES, 256 * 1024 * 1024)
})

/** A minimal RFC 4180 reader for the export's text. */
function readCsv(text) {
  const rows = []
  let row = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(cell), (cell = '')
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '')
    else cell += c
  }
  return rows
}

test('export writes the table safely', () => {
  const text = invitekit.exportCsv([
    {
      name: '=HYPERLINK("x")',
      email: 'jane@example.com',
      role: 'client',
      status: 'invite_pending',
      group: ['Cohort A', 'Cohort B'],
      assignedStaffEmail: 'staff@example.com',
      lastVisit: null,
      createdAt: NOW,
      activatedAt: '2026-11-22T10:00:00Z',
    },
    { email: 'bob@example.org', status: 'Activated', createdAt: '2026-11-21T11:00:00+02:00' },
  ])
  const rows = readCsv(text)
  assert.deepEqual(rows[0], [...invitekit.EXPORT_HEADER])
  assert.deepEqual(rows[1], [
    '\'=HYPERLINK("x")', 'jane@example.com', 'client', 'Invite Pending', 'Cohort A; Cohort B',
    'staff@example.com', '', '2026-11-21T09:00:00Z', '2026-11-22T10:00:00Z',
  ])
  assert.deepEqual(rows[2], ['', 'bob@example.org', '', 'Activated', '', '', '', '2026-11-21T09:00:00Z', ''])
  assert.throws(() => invitekit.exportCsv([{ email: 'a@example.com' }]), { name: 'TypeError', message: /createdAt/ })
  assert.throws(() => invitekit.exportCsv([{ createdAt: NOW, role: 'owner' }]), { code: 'invalid_role' })
})

test('exported names and addresses import back', () => {
  const names = ['Doe, Jane', 'O\'Brien "Bob"', 'José; García', 'Line\nbreak']
  const text = invitekit.exportCsv(names.map((name, i) => ({ name, email: `user${i}@example.com`, createdAt: NOW })))
  const rows = invitekit.importCsv(text).rows
  assert.deepEqual(rows.map((row) => row.name), names)
  assert.deepEqual(rows.map((row) => row.rawEmail), names.map((_, i) => `user${i}@example.com`))
})

test('renderInvitation and the message helpers', () => {
  const org = invitekit.newOrganization('acme', 'Acme <Corp>', {
    createdAt: NOW,
    timeZone: 'Europe/Paris',
    acceptUrl: 'https://app.example.com/invitations/{token}',
  })
  const { token } = invitekit.mintToken()
  const expiresAt = invitekit.deadline(NOW, { expiryDays: org.expiry })
  assert.ok(expiresAt instanceof Date)
  assert.equal(expiresAt.getTime(), NOW.getTime() + 14 * DAY)
  const message = invitekit.renderInvitation(org, { to: 'Jane@Example.COM', token, expiresAt, inviter: 'Bob Smith', name: 'Jane Doe' })
  assert.equal(message.to, 'Jane@example.com')
  assert.equal(message.toName, 'Jane Doe')
  assert.equal(message.subject, 'Bob Smith invited you to Acme <Corp>')
  const link = invitekit.acceptLink(org.acceptUrl, token)
  assert.equal(link, `https://app.example.com/invitations/${token}`)
  assert.ok(message.text.split('\n').includes(link))
  assert.ok(message.text.includes('This invitation expires on 5 December 2026 at 10:00 CET.'))
  assert.ok(message.html.includes('Acme &lt;Corp&gt;') && !message.html.includes('<Corp>'))
  assert.equal(invitekit.formatDeadline(expiresAt, { timeZone: 'Europe/Paris' }), '5 December 2026 at 10:00 CET')
  assert.equal(invitekit.formatDeadline(expiresAt), '5 December 2026 at 09:00 UTC')
  const custom = invitekit.renderInvitation(org, {
    to: { address: 'jane@example.com', key: 'jane@example.com' },
    token,
    expiresAt,
    subject: 'Welcome',
    button: 'Join Acme',
    formUrl: 'https://forms.example.com/intake',
  })
  assert.equal(custom.subject, 'Welcome')
  assert.ok(custom.html.includes('>Join Acme</a>'))
  assert.ok(custom.text.includes('https://forms.example.com/intake'))
  assert.throws(
    () => invitekit.renderInvitation(org, { to: 'jane@example.com', token, expiresAt, subject: 'Hi\r\nBcc: x@y.z' }),
    { code: 'invalid_message_text', details: { field: 'subject' } },
  )
  assert.throws(() => invitekit.renderInvitation(org, { to: 'jane@example.com', token: 'forged', expiresAt }), { code: 'invalid_token' })
  assert.throws(() => invitekit.renderInvitation(org, { to: 'jane@example', token, expiresAt }), { code: 'dotless_domain' })
})

test('message checks', () => {
  invitekit.validateMessageOptions({ subject: 'Welcome', button: 'Join', formUrl: 'https://example.com/f' })
  assert.throws(() => invitekit.validateMessageOptions({ formUrl: 'javascript:alert(1)' }), {
    code: 'invalid_url',
    details: { field: 'form_url' },
  })
  invitekit.validateAcceptUrl('https://app.example.com/join?t={token}')
  assert.throws(() => invitekit.validateAcceptUrl('https://app.example.com/join'), { code: 'invalid_url' })
  assert.throws(() => invitekit.newOrganization('acme', 'Acme', { createdAt: NOW, acceptUrl: 'ftp://x/{token}' }), { code: 'invalid_url' })
  assert.throws(() => invitekit.newOrganization('acme', 'Acme\r\nBcc: x@example.com', { createdAt: NOW }), { code: 'invalid_message_text' })
  assert.equal(invitekit.newOrganization('acme', '  Acme ', { createdAt: NOW }).name, 'Acme')
  assert.equal(invitekit.defaultSubject('Acme'), "You're invited to Acme")
  assert.equal(invitekit.defaultSubject('Acme', 'Jane'), 'Jane invited you to Acme')
  assert.equal(invitekit.maskEmail('jane.doe@example.com'), 'j•••@example.com')
  assert.throws(() => invitekit.deadline(NOW, { expiryDays: 0 }), { code: 'invalid_expiry_window' })
})

test('the grants table', () => {
  assert.equal(invitekit.grants('admin', 'manage_organization'), true)
  assert.equal(invitekit.grants('staff', 'manage_staff'), false)
  assert.equal(invitekit.grants('Client', 'add_guests'), true)
  for (const permission of binding._enumValues().Permission) assert.equal(invitekit.grants('guest', permission), false)
  assert.throws(() => invitekit.grants('owner', 'add_guests'), { code: 'invalid_role' })
})

test('authorize with ties', () => {
  const staff = { id: 's1', role: 'staff' }
  const client = invitekit.newClient('c1', 'acme', { createdAt: NOW, email: 'jane@example.com' })
  invitekit.authorize(staff, 'archive', client)
  assert.equal(invitekit.requiredPermission(staff, 'revoke', client), 'manage_any_invitation')
  client.assignedStaff = 's1'
  assert.equal(invitekit.requiredPermission(staff, 'revoke', client), null)
  const guest = invitekit.newClient('g1', 'acme', { createdAt: NOW, role: 'guest' })
  guest.guestOf = 'c1'
  invitekit.authorize({ id: 'c1', role: 'client' }, 'send', guest)
  assert.throws(() => invitekit.authorize({ id: 'c2', role: 'client' }, 'send', guest), { code: 'forbidden' })
  invitekit.authorizeOrg({ id: 'a1', role: 'admin' }, 'manage_settings')
  assert.throws(() => invitekit.authorizeOrg(staff, 'manage_signup_links'), { permission: 'manage_organization' })
  assert.throws(() => invitekit.authorize(staff, 'fly', client), { name: 'TypeError', message: /operation/ })
})

test('records: camelCase keys, Date instants, and text instants accepted back', () => {
  const org = invitekit.newOrganization('acme', 'Acme', { createdAt: NOW })
  assert.deepEqual(org, {
    acceptUrl: 'https://example.invalid/invitations/{token}',
    createdAt: NOW,
    emailBinding: 'same_address',
    expiry: 14,
    id: 'acme',
    name: 'Acme',
    timeZone: 'UTC',
  })
  const client = invitekit.newClient('c1', 'acme', { createdAt: NOW, email: 'Jane@Example.com', role: 'Staff', name: 'Jane' })
  assert.equal(client.role, 'staff')
  assert.deepEqual(client.email, { address: 'Jane@example.com', key: 'jane@example.com' })
  assert.ok(client.createdAt instanceof Date)
  const fromJson = JSON.parse(JSON.stringify(client))
  assert.deepEqual(invitekit.clientStatus(fromJson, null, NOW), invitekit.clientStatus(client, [], NOW))
  // snake_case keys (the core's serde form, what other hosts store) are read too.
  const snake = { id: 'c1', org: 'acme', role: 'client', created_at: '2026-11-21T09:00:00Z', archived_at: '2026-11-22T09:00:00Z' }
  const status = invitekit.clientStatus(snake, [], new Date(NOW.getTime() + 2 * DAY))
  assert.equal(status.status, 'archived')
  assert.deepEqual(status.archivedAt, new Date('2026-11-22T09:00:00Z'))
  assert.throws(() => invitekit.newClient('c1', 'acme', { createdAt: NOW, name: 'a\nb' }), { code: 'invalid_message_text' })
  assert.throws(() => invitekit.clientStatus({ ...client, createdAt: new Date(NaN) }, [], NOW), { name: 'TypeError', message: /invalid Date/ })
})

test('the unions of index.d.ts are the core’s names', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const union = (name) => {
    const match = dts.match(new RegExp(`export type ${name} =([^]*?)\\n\\n`))
    assert.ok(match, `no union ${name}`)
    return [...match[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1])
  }
  const values = binding._enumValues()
  for (const name of ['Status', 'Role', 'Command', 'Operation', 'OrgOperation', 'Permission', 'EmailBinding', 'LinkState']) {
    assert.deepEqual(union(name), values[name], name)
  }
  assert.deepEqual(values.statusLabels, {
    provisioned: 'Provisioned',
    invite_pending: 'Invite Pending',
    invite_expired: 'Invite Expired',
    activated: 'Activated',
    archived: 'Archived',
  })
})
