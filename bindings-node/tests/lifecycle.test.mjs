// Replays testdata/lifecycle.json through the pure helpers: the transition table
// (`transition`, `permit`), the scenarios (`ClientRecord` commands at instants, `clientStatus`),
// and the access tables (`authorize`, `requiredPermission`, `authorizeOrg`). Every disagreement
// is reported, not only the first.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import invitekit from '../index.js'

const { ClientRecord, InvitekitError } = invitekit
const data = JSON.parse(readFileSync(new URL('../../testdata/lifecycle.json', import.meta.url), 'utf8'))

class Report {
  failures = []
  check(where, field, expected, actual) {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      this.failures.push(`${where}: ${field}\n    expected: ${JSON.stringify(expected)}\n    actual:   ${JSON.stringify(actual)}`)
    }
  }
  finish(what) {
    assert.equal(this.failures.length, 0, `${this.failures.length} failure(s) in ${what}:\n${this.failures.join('\n')}`)
  }
}

/** RFC 3339 text of a `Date`, as the file writes instants (whole seconds). */
const rfc3339 = (at) => (at === undefined ? null : at.toISOString().replace('.000Z', 'Z'))

test('the transition table is the file’s', () => {
  const report = new Report()
  const seen = new Set()
  for (const cell of data.transitions) {
    const where = `${cell.status} x ${cell.command}`
    const outcome = invitekit.transition(cell.status, cell.command)
    const actual =
      outcome.kind === 'to' ? outcome.status : outcome.kind === 'refused' ? { error: outcome.error } : outcome.kind
    report.check(where, 'outcome', cell.outcome, actual)
    report.check(where, 'allowed', outcome.kind !== 'refused', outcome.allowed)
    seen.add(where)
    // permit agrees: a refusal throws its code.
    if (outcome.kind === 'refused') {
      try {
        invitekit.permit(cell.status, cell.command)
        report.check(where, 'permit', 'a throw', 'no throw')
      } catch (error) {
        report.check(where, 'permit', outcome.error, error.code)
        report.check(where, 'permit details', { command: cell.command, status: cell.status }, error.details)
      }
    } else {
      report.check(where, 'permit', outcome, invitekit.permit(cell.status, cell.command))
    }
  }
  assert.equal(seen.size, 6 * 8)
  assert.equal(data.transitions.length, 48)
  report.finish('transitions')
  assert.throws(() => invitekit.transition('bogus', 'send'), { code: 'invalid_status' })
  assert.throws(() => invitekit.transition(null, 'fly'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
})

/** One scenario: the organization, the record, and the links sent by name. */
class World {
  constructor(scenario) {
    const settings = scenario.organization ?? {}
    this.org = invitekit.newOrganization('acme', 'Acme', {
      createdAt: new Date('2026-01-01T00:00:00Z'),
      expiryDays: settings.expiry_days ?? 14,
      timeZone: settings.time_zone ?? 'UTC',
      emailBinding: settings.email_binding ?? 'same_address',
    })
    const client = invitekit.newClient('c1', 'acme', {
      createdAt: new Date('2026-11-01T00:00:00Z'),
      email: scenario.client.email ?? undefined,
      role: scenario.client.role,
    })
    this.record = ClientRecord.create(client).record
    this.links = new Map()
  }

  link(name, step) {
    let [invitationId, token] = this.links.get(name) ?? ['unknown', invitekit.mintToken().token]
    if (step.forged) token = invitekit.mintToken().token
    return { invitationId, token }
  }
}

function runStep(world, step, scenarioId, report) {
  const now = new Date(step.at)
  const by = 'staff-1'
  const { record } = world
  const where = `${scenarioId} @ ${step.at} ${step.do}`
  let error = null
  let result = null
  try {
    switch (step.do) {
      case 'send':
      case 'resend':
      case 'invite': {
        const { token, tokenHash } = invitekit.mintToken()
        const invitationId = `i${world.links.size}`
        record[step.do](world.org, { invitationId, tokenHash, now, by })
        world.links.set(step.link ?? '', [invitationId, token])
        break
      }
      case 'preview': {
        const before = JSON.stringify(record)
        const preview = record.preview(world.org, { ...world.link(step.link ?? '', step), now })
        report.check(where, 'record unchanged by preview', before, JSON.stringify(record))
        report.check(where, 'preview.expiresAt is a Date', true, preview.expiresAt instanceof Date)
        if ('state' in step) report.check(where, 'state', step.state, preview.state)
        if ('masked_email' in step) report.check(where, 'maskedEmail', step.masked_email, preview.maskedEmail)
        if ('deadline' in step) report.check(where, 'deadline', step.deadline, preview.deadline)
        break
      }
      case 'accept':
        result = record.accept(world.org, { ...world.link(step.link ?? '', step), identity: step.identity, now }).result
        break
      case 'revoke':
      case 'archive':
      case 'restore':
        record[step.do](now, { by })
        break
      case 'seen':
        record.recordSeen(now)
        break
      case 'create':
        record.permit('create', now)
        break
      case 'status':
        break
      default:
        throw new Error(`${where}: unknown step`)
    }
  } catch (thrown) {
    if (!(thrown instanceof InvitekitError)) throw thrown
    error = thrown.code
  }
  report.check(where, 'error', step.error ?? null, error)
  if ('result' in step) report.check(where, 'result', step.result, result)

  const timeZone = world.org.timeZone
  const status = record.status(now, { timeZone })
  // The function gives the same answer from the record's plain objects.
  const same = invitekit.clientStatus(record.client, record.invitations, now, { timeZone })
  report.check(where, 'clientStatus', status, same)
  for (const [field, actual] of [
    ['status', status.status],
    ['label', status.label],
    ['detail', status.detail],
    ['sent_at', rfc3339(status.sentAt)],
    ['expires_at', rfc3339(status.expiresAt)],
  ]) {
    if (field in step) report.check(where, field, step[field], actual)
  }
}

test('scenarios give the file’s statuses and codes', () => {
  assert.ok(data.scenarios.length >= 20)
  const ids = data.scenarios.map((scenario) => scenario.id)
  assert.equal(new Set(ids).size, ids.length)
  const report = new Report()
  for (const scenario of data.scenarios) {
    const world = new World(scenario)
    for (const step of scenario.steps) runStep(world, step, scenario.id, report)
  }
  report.finish('scenarios')
})

test('access cases give the file’s verdicts', () => {
  const report = new Report()
  const t0 = new Date('2026-11-21T09:00:00Z')
  for (const entry of data.access) {
    const where = JSON.stringify(entry)
    const member = { id: 'm', role: entry.actor }
    const target = invitekit.newClient(entry.self ? 'm' : 't', 'acme', { createdAt: t0, role: entry.target })
    if (entry.guest_of_actor) target.guestOf = 'm'
    if (entry.assigned_to_actor) target.assignedStaff = 'm'
    if (entry.owned_by_actor) target.owner = { kind: 'member', id: 'm' }
    const invitations = []
    if (entry.sent_by_actor) {
      invitations.push({
        id: 'i1',
        org: 'acme',
        client: target.id,
        tokenHash: invitekit.mintToken().tokenHash,
        sentBy: 'm',
        sentAt: t0,
        expiresAt: new Date(t0.getTime() + 14 * 86_400_000),
      })
    }
    let denied = null
    try {
      invitekit.authorize(member, entry.operation, target, invitations)
    } catch (error) {
      denied = error.permission
      report.check(where, 'code', 'forbidden', error.code)
      report.check(where, 'details', { permission: denied }, error.details)
    }
    report.check(where, 'denied', entry.denied, denied)
    report.check(where, 'requiredPermission', entry.denied, invitekit.requiredPermission(member, entry.operation, target, invitations))
  }
  for (const entry of data.organization_access) {
    let denied = null
    try {
      invitekit.authorizeOrg({ id: 'm', role: entry.actor }, entry.operation)
    } catch (error) {
      denied = error.permission
    }
    report.check(JSON.stringify(entry), 'denied', entry.denied, denied)
  }
  report.finish('access')
})

test('a record round-trips through toJSON and JSON text', () => {
  const now = new Date('2026-11-21T09:00:00Z')
  const org = invitekit.newOrganization('acme', 'Acme', { createdAt: now, acceptUrl: 'https://app.example.com/i/{token}' })
  const client = invitekit.newClient('c1', 'acme', { createdAt: now, email: 'Jane@Example.com', name: 'Jane Doe' })
  const { record, event } = ClientRecord.create(client, { by: 'admin-1' })
  assert.ok(record instanceof ClientRecord)
  assert.deepEqual(event.action, { role: 'client', type: 'client_created' })
  assert.deepEqual(event.actor, { id: 'admin-1', kind: 'member' })
  assert.ok(event.at instanceof Date)
  const { token, tokenHash } = invitekit.mintToken()
  const events = record.send(org, { invitationId: 'i1', tokenHash, now, by: 'admin-1' })
  assert.deepEqual(events.map((e) => e.action.type), ['invitation_sent'])
  assert.equal(record.version, 1)
  const stored = JSON.parse(JSON.stringify(record))
  assert.equal(stored.invitations[0].sentAt, '2026-11-21T09:00:00.000Z')
  const again = ClientRecord.fromJSON(stored)
  assert.deepEqual(again.toJSON(), record.toJSON())
  // A host's own objects may leave out what newClient fills in, and give the email as text.
  const minimal = new ClientRecord(
    { id: 'c1', org: 'acme', role: 'client', createdAt: now, email: 'jane@example.com' },
    stored.invitations,
  )
  assert.equal(minimal.status(now).status, 'invite_pending')
  const accepted = again.accept(org, { invitationId: 'i1', token, identity: 'JANE@example.com', now, subject: 'user-9' })
  assert.equal(accepted.result, 'activated')
  assert.deepEqual(again.client.activatedBy, {
    email: { address: 'JANE@example.com', key: 'jane@example.com' },
    subject: 'user-9',
  })
  assert.deepEqual(
    again.accept(org, { invitationId: 'i1', token, identity: 'jane@example.com', now, subject: 'user-9' }),
    { result: 'already_accepted' },
  )
  assert.throws(() => new ClientRecord({ id: 'c1' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => record.status('2026-11-21'), { name: 'TypeError' })
})
