// The npm package `invitekit` from TypeScript: parse a paste, keep records, send and accept an
// invitation, handle errors by code. Checked with `tsc --noEmit -p examples/tsconfig.json`
// (strict) by `npm test`; run it with Node's type stripping, or compile it.

import {
  ClientRecord,
  InvitekitError,
  errorFamily,
  errorFor,
  importCsv,
  mintId,
  mintToken,
  newClient,
  newOrganization,
  parseAddresses,
  renderInvitation,
  transition,
  type AddressEntry,
  type Client,
  type ErrorCode,
  type ErrorFamily,
  type InvitekitEvent,
  type Status,
} from 'invitekit'

// --- A pasted list: every entry pointed at, the batch refused while one is wrong. ------------

const pasted = 'Jane Doe <Jane@Example.COM>; bob@example, jane@example.com'
const list = parseAddresses(pasted, { maxAddresses: 200 })
for (const entry of list.entries) {
  // `start`/`end` are string indices: a form can mark `pasted.slice(start, end)` red.
  const shown: string = pasted.slice(entry.start, entry.end)
  console.log(entry.line, entry.column, shown, entry.error ?? entry.normalized)
}
const invalid: AddressEntry[] = list.entries.filter((entry) => entry.error !== null && entry.error !== 'duplicate')
console.log(`${list.valid} valid, ${invalid.length} to fix, acceptable: ${list.acceptable}`)

// --- Records the host keeps (plain objects; Dates for instants). -----------------------------

const now = new Date('2026-11-21T09:00:00Z')
const org = newOrganization('acme', 'Acme', {
  createdAt: now,
  expiryDays: 30,
  timeZone: 'Europe/Paris',
  acceptUrl: 'https://app.acme.example/invitations/{token}',
})
const jane: Client = newClient(mintId('cl_'), org.id, { createdAt: now, email: 'Jane@Example.COM', name: 'Jane Doe' })
const { record, event } = ClientRecord.create(jane, { by: 'admin-1' })
const log: InvitekitEvent[] = [event]

// Send: the token goes into the email, only its hash into the record.
const { token, tokenHash } = mintToken()
log.push(...record.send(org, { invitationId: mintId('inv_'), tokenHash, now, by: 'admin-1' }))
const status = record.status(now, { timeZone: org.timeZone })
const pending: Status = status.status
console.log(pending, status.label, status.detail, status.expiresAt?.toISOString())
const expiresAt = status.expiresAt ?? now
const email = renderInvitation(org, { to: jane.email ?? 'jane@example.com', token, expiresAt, inviter: 'Ada Admin' })
console.log(email.subject)

// The transition table as data: what a button would do.
const resend = transition(pending, 'resend')
console.log(resend.allowed, resend.kind === 'to' ? resend.status : resend.error)

// Accept, as the account the host signed in; a wrong account is refused by code.
const invitationId = record.invitations[0]?.id ?? ''
try {
  record.accept(org, { invitationId, token, identity: 'bob@example.com', now })
} catch (error) {
  if (!(error instanceof InvitekitError)) throw error
  const code: ErrorCode = error.code
  const family: ErrorFamily = errorFamily(code)
  console.log(code, family, error.message)
}
const accepted = record.accept(org, { invitationId, token, identity: 'jane@example.com', now, subject: 'user-42' })
if (accepted.result === 'activated') log.push(...accepted.events)
const stored: string = JSON.stringify(record) // {client, invitations}, instants as ISO text
const again = ClientRecord.fromJSON(JSON.parse(stored))
console.log(again.status(new Date()).label, log.map((e) => e.action.type).join(', '))

// --- Errors by code, for an HTTP answer. -----------------------------------------------------

const HTTP: Record<ErrorFamily, number> = {
  invalid_addresses: 422,
  invalid_input: 400,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  expired: 410,
  conflict: 409,
  storage: 503,
  delivery: 502,
}
function httpStatus(error: unknown): number {
  return error instanceof InvitekitError ? HTTP[errorFamily(error.code)] : 500
}
console.log(httpStatus(errorFor('client_not_found')), httpStatus(new Error('boom')))

// --- CSV. ------------------------------------------------------------------------------------

const file = importCsv('email,name\njane@example.com,Jane\nbob@,Bob\n')
for (const row of file.errors) console.log(`line ${row.line}: ${row.error}`)
