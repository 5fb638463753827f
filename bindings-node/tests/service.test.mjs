// The service flows from Node, on the SQLite store and on a store written in JavaScript
// (`MemoryBackend`). Every flow runs on both: `Invitations.open(path)` and
// `new Invitations({ store })`. The rules are the core's; these tests check that they reach
// JavaScript whole, as Promises that never block the event loop, with Dates, camelCase keys and
// errors carrying `.code`.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import invitekit from '../index.js'

const { FixedClock, Invitations, InvitekitError, MemoryBackend } = invitekit

const T0 = new Date('2026-11-21T09:00:00Z')
const DAY = 86_400_000
const ADMIN = 'admin@acme.example'
const LINK = /\/invitations\/([A-Za-z0-9_-]{43})/

const dir = mkdtempSync(join(tmpdir(), 'invitekit-service-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let databases = 0

/** A mailer that keeps what it is given, and can be told to fail (by throwing or rejecting). */
class Outbox {
  messages = []
  /** `null`, `'throw'` (synchronously) or `'reject'` (a rejected Promise). */
  failing = null
  errors = []

  send(message) {
    if (this.failing !== null) {
      const error = new Error('the mail relay is down')
      error.code = 'ECONNREFUSED'
      this.errors.push(error)
      if (this.failing === 'throw') throw error
      return Promise.reject(error)
    }
    this.messages.push(message)
    // Answer later, as a real transport does.
    return new Promise((resolve) => setImmediate(resolve))
  }

  tokenFor(to) {
    for (const message of [...this.messages].reverse()) {
      if (message.to === to) {
        const found = LINK.exec(message.text)
        assert.ok(found, message.text)
        return found[1]
      }
    }
    throw new Error(`no message to ${to}`)
  }
}

/** A factory of services on one store, all sharing it (as several app servers would). */
function stores() {
  return {
    sqlite: () => {
      const path = join(dir, `service-${databases++}.db`)
      return (options = {}) => Invitations.open(path, options)
    },
    'js-memory': () => {
      const backend = new MemoryBackend()
      return async (options = {}) => new Invitations({ store: backend, ...options })
    },
    // PostgreSQL: the server scripts/test starts; each flow in a schema of its own.
    postgres: () => {
      const url = process.env.INVITEKIT_PG_URL
      if (!url) throw new Error('INVITEKIT_PG_URL is not set (scripts/test starts a server)')
      const schema = `node_${process.pid}_${databases++}`
      return (options = {}) => Invitations.open(url, { schema, ...options })
    },
  }
}

for (const [kind, makeStore] of Object.entries(stores())) {
  // Without a server the PostgreSQL flows are skipped, loudly, except under CI: there they fail.
  const skip = kind === 'postgres' && !process.env.INVITEKIT_PG_URL && !process.env.CI
  describe(`Invitations on ${kind}`, { skip: skip && 'INVITEKIT_PG_URL is not set' }, () => {
    async function setUp(options = {}) {
      const make = makeStore()
      const clock = new FixedClock(T0)
      const outbox = new Outbox()
      const inv = await make({ mailer: outbox, clock, ...options })
      await inv.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN })
      return { make, clock, outbox, inv }
    }

    it('invites, accepts, expires 15 days later and resends', async () => {
      const { clock, outbox, inv } = await setUp()
      const report = await inv.createClients('acme', 'Jane Doe <jane@example.com>, bob@example.org', {
        by: ADMIN,
        send: true,
      })
      assert.equal(report.created, 2)
      assert.equal(report.invited, 2)
      assert.equal(report.delivery.sent.length, 2)
      assert.deepEqual(
        outbox.messages.map((m) => m.to),
        ['jane@example.com', 'bob@example.org'],
      )
      assert.equal(outbox.messages[0].toName, 'Jane Doe')
      assert.match(outbox.messages[0].html.toLowerCase(), /<html/)

      const token = outbox.tokenFor('jane@example.com')
      const preview = await inv.preview(token) // safe on GET: changes nothing
      assert.equal(preview.organization, 'Acme')
      assert.equal(preview.maskedEmail, 'j•••@example.com')
      assert.equal(preview.state, 'live')
      assert.ok(preview.expiresAt instanceof Date)
      assert.equal(preview.expiresAt.getTime(), T0.getTime() + 14 * DAY)
      const accepted = await inv.accept(token, 'jane@example.com')
      assert.equal(accepted.activatedNow, true)
      assert.equal(accepted.status, 'activated')
      assert.ok(accepted.record.client.activatedAt instanceof Date)
      const again = await inv.accept(token, 'jane@example.com')
      assert.equal(again.activatedNow, false, 'a double click activates once')
      await assert.rejects(inv.accept(outbox.tokenFor('bob@example.org'), 'mallory@example.com'), (error) => {
        assert.ok(error instanceof InvitekitError)
        assert.equal(error.code, 'email_mismatch')
        return true
      })

      clock.advance(15 * DAY)
      const listed = await inv.listClients('acme', { by: ADMIN, status: 'invite_expired' })
      assert.deepEqual(
        listed.clients.map((c) => c.record.client.email.address),
        ['bob@example.org'],
      )
      assert.equal(listed.clients[0].status.status, 'invite_expired')
      assert.ok(listed.now instanceof Date)
      await assert.rejects(inv.accept(outbox.tokenFor('bob@example.org'), 'bob@example.org'), {
        code: 'invitation_expired',
      })

      const resent = await inv.resend('acme', ['bob@example.org'], { by: ADMIN })
      assert.equal(resent[0].status, 'invite_pending')
      assert.equal(resent[0].error, null)
      assert.equal(resent[0].delivery, 'sent')
      const bob = await inv.accept(outbox.tokenFor('bob@example.org'), 'bob@example.org')
      assert.equal(bob.status, 'activated')
    })

    it('creates nothing when one address is invalid, naming it by string index', async () => {
      const { outbox, inv } = await setUp()
      // A name with characters of one and two UTF-16 code units before the fault.
      const text = 'Zoë 😀 <zoe@example.com>, bob@example, ann@example.org'
      await assert.rejects(inv.createClients('acme', text, { by: ADMIN, send: true }), (error) => {
        assert.ok(error instanceof InvitekitError)
        assert.equal(error.code, 'invalid_batch')
        assert.equal(error.entries.length, 1)
        const [entry] = error.entries
        assert.equal(entry.code, 'dotless_domain')
        assert.equal(text.slice(entry.start, entry.end), 'bob@example')
        assert.equal(entry.line, 1)
        return true
      })
      assert.equal((await inv.listClients('acme', { by: ADMIN })).total, 1, 'only the admin')
      assert.deepEqual(outbox.messages, [])

      // A report's entries point into the text the same way.
      const report = await inv.createClients('acme', 'Zoë 😀 <zoe@example.com>, ann@example.org', { by: ADMIN })
      const source = 'Zoë 😀 <zoe@example.com>, ann@example.org'
      assert.deepEqual(
        report.entries.map((e) => source.slice(e.start, e.end)),
        ['Zoë 😀 <zoe@example.com>', 'ann@example.org'],
      )
    })

    it('reports existing and repeated addresses, and a dry run writes nothing', async () => {
      const { inv } = await setUp()
      await inv.createClients('acme', 'jane@example.com', { by: ADMIN })
      const report = await inv.createClients('acme', 'JANE@Example.com, new@example.com, New@example.com', {
        by: ADMIN,
      })
      assert.deepEqual(
        report.entries.map((e) => e.outcome.kind),
        ['existing', 'created', 'duplicate'],
      )
      assert.equal(report.entries[0].outcome.status, 'provisioned')
      assert.equal(report.entries[2].outcome.of, 1)
      assert.equal(report.existing, 1)
      assert.equal(report.duplicates, 1)
      const dry = await inv.createClients('acme', 'later@example.com', { by: ADMIN, dryRun: true })
      assert.equal(dry.committed, false)
      assert.equal((await inv.listClients('acme', { by: ADMIN, search: 'later' })).total, 0)
    })

    it('imports a CSV with groups and programs, exports, assigns and manages groups', async () => {
      const { inv } = await setUp()
      await inv.createGroup('acme', 'Cohort A', { by: ADMIN })
      await inv.createProgram('acme', 'Onboarding', { by: ADMIN })
      const csv = '\ufeffEmail,Name,Group,Program\nann@example.com,Ann,Cohort A,Onboarding\nben@example.com,Ben,,\n'
      const report = await inv.importClients('acme', Buffer.from(csv), { by: ADMIN })
      assert.equal(report.created, 2)
      const inGroup = await inv.listClients('acme', { by: ADMIN, group: 'Cohort A' })
      assert.deepEqual(
        inGroup.clients.map((c) => c.record.client.name),
        ['Ann'],
      )
      assert.equal((await inv.listClients('acme', { by: ADMIN, program: 'Onboarding' })).total, 1)
      await assert.rejects(inv.importClients('acme', 'email,group\ncy@example.com,Nope\n', { by: ADMIN }), (error) => {
        assert.equal(error.code, 'invalid_batch')
        assert.deepEqual(
          error.entries.map((e) => [e.line, e.code]),
          [[2, 'group_not_found']],
        )
        return true
      })
      const exported = await inv.exportClients('acme', { by: ADMIN })
      assert.match(exported.split('\n')[0], /^name,email,role,status/)
      assert.ok(exported.includes('ann@example.com') && exported.includes('ben@example.com'))

      const assigned = await inv.assign('acme', ['ben@example.com'], { by: ADMIN, group: 'Cohort A' })
      assert.equal(assigned[0].error, null)
      assert.equal((await inv.listClients('acme', { by: ADMIN, group: 'Cohort A' })).total, 2)
      await inv.renameGroup('acme', 'Cohort A', 'Cohort B', { by: ADMIN })
      assert.deepEqual(
        (await inv.groups('acme')).map((g) => g.name),
        ['Cohort B'],
      )
      assert.equal(await inv.deleteGroup('acme', 'Cohort B', { by: ADMIN }), undefined)
      assert.deepEqual(await inv.groups('acme'), [])
      assert.deepEqual(
        (await inv.programs('acme')).map((p) => p.name),
        ['Onboarding'],
      )
      assert.throws(() => inv.assign('acme', ['ben@example.com'], { by: ADMIN }), TypeError)
    })

    it('lists the never-invited, invites them, and gives bulk outcomes one by one', async () => {
      const { inv } = await setUp()
      await inv.createClients('acme', 'a@example.com b@example.com c@example.com', { by: ADMIN })
      assert.equal((await inv.neverInvited('acme', { by: ADMIN })).total, 3)
      const sent = await inv.inviteNeverInvited('acme', { by: ADMIN, except: ['c@example.com'] })
      assert.deepEqual(
        sent.map((o) => o.status),
        ['invite_pending', 'invite_pending'],
      )
      assert.equal((await inv.neverInvited('acme', { by: ADMIN })).total, 1)
      const again = await inv.send('acme', ['a@example.com', 'c@example.com'], { by: ADMIN })
      assert.equal(again[0].status, null)
      assert.ok(again[0].error instanceof InvitekitError, 'an error object, not thrown')
      assert.equal(again[0].error.code, 'already_invited')
      assert.equal(again[1].status, 'invite_pending', 'the other client is invited')
      const revoked = await inv.revoke('acme', ['a@example.com'], { by: ADMIN })
      assert.equal(revoked[0].status, 'provisioned')
      const archived = await inv.archive('acme', ['b@example.com'], { by: ADMIN })
      assert.equal(archived[0].status, 'archived')
      const restored = await inv.restore('acme', ['b@example.com'], { by: ADMIN })
      assert.equal(restored[0].error, null)
      const events = await inv.events('acme', { by: ADMIN, limit: 1000 })
      assert.ok(events.length >= 6)
      assert.ok(events.every((e) => e.at instanceof Date && typeof e.action.type === 'string'))
    })

    it('runs sign-up links: domains, rotation, use limits, disabling', async () => {
      const { inv } = await setUp()
      const { link, token } = await inv.createSignupLink('acme', {
        by: ADMIN,
        maxUses: 2,
        allowedDomains: ['Example.ORG'],
      })
      assert.deepEqual(link.allowedDomains, ['example.org'])
      await assert.rejects(inv.join(token, 'eve@elsewhere.net'), { code: 'email_domain_not_allowed' })
      const joined = await inv.join(token, 'zoe@example.org')
      assert.equal(joined.client.role, 'client')
      const newToken = await inv.rotateSignupLink('acme', link.id, { by: ADMIN })
      await assert.rejects(inv.join(token, 'ann@example.org'), { code: 'signup_link_not_found' })
      await inv.join(newToken, 'ann@example.org')
      await assert.rejects(inv.join(newToken, 'al@example.org'), { code: 'signup_link_exhausted' })
      const disabled = await inv.disableSignupLink('acme', link.id, { by: ADMIN })
      assert.ok(disabled.disabledAt instanceof Date)
      assert.equal(disabled.uses, 2)
      assert.equal((await inv.signupLinks('acme', { by: ADMIN })).length, 1)
      await assert.rejects(inv.join(newToken, 'al@example.org'), { code: 'signup_link_disabled' })
    })

    it('refuses what the acting member may not do', async () => {
      const { inv } = await setUp()
      await inv.createClients('acme', 'cli@example.com', { by: ADMIN })
      await assert.rejects(inv.createClients('acme', 'x@example.com', { by: 'cli@example.com' }), (error) => {
        assert.equal(error.code, 'forbidden')
        assert.equal(error.permission, 'manage_clients')
        return true
      })
      await assert.rejects(inv.listClients('acme', { by: 'nobody@example.com' }), { code: 'client_not_found' })
    })

    for (const failing of ['throw', 'reject']) {
      it(`keeps mail a JS mailer failed to send (${failing}), hands its error back, retries`, async () => {
        const { outbox, inv } = await setUp()
        outbox.failing = failing
        const report = await inv.createClients('acme', 'a@example.com, b@example.com', { by: ADMIN, send: true })
        assert.equal(report.invited, 2, 'the clients are invited all the same')
        const { failed } = report.delivery
        assert.equal(failed.length, 2)
        // The mailer's own error objects, next to the failed messages.
        assert.equal(failed[0].error, outbox.errors[0])
        assert.equal(failed[1].error, outbox.errors[1])
        assert.equal(failed[0].error.code, 'ECONNREFUSED')
        assert.match(failed[0].reason, /relay is down/)
        const waiting = await inv.outbox('acme', { by: ADMIN, state: 'failed' })
        assert.equal(waiting.length, 2)
        assert.ok(waiting[0].createdAt instanceof Date)
        assert.match(waiting[0].lastError, /relay is down/)

        await inv.createClients('acme', 'c@example.com', { by: ADMIN })
        const outcome = await inv.send('acme', ['c@example.com'], { by: ADMIN })
        assert.equal(outcome[0].delivery, 'failed')
        assert.equal(outcome[0].mailerError, outbox.errors[2])

        outbox.failing = null
        const delivered = await inv.deliverPending()
        assert.equal(delivered.sent.length, 3)
        assert.deepEqual(delivered.failed, [])
        assert.equal(outbox.messages.length, 3)
        assert.deepEqual((await inv.deliverPending()).sent, [], 'each message once')
        const sent = await inv.outbox('acme', { by: ADMIN, state: 'sent' })
        assert.equal(sent.length, 3)
        assert.equal(sent[0].text, '', 'a sent message no longer holds its link')
      })
    }

    it('only queues mail with deliverInline: false, for a worker', async () => {
      const { make, clock } = await setUp()
      const outbox = new Outbox()
      const queued = await make({ mailer: outbox, clock, deliverInline: false })
      await queued.createClients('acme', 'a@example.com', { by: ADMIN, send: true })
      assert.deepEqual(outbox.messages, [])
      assert.equal((await queued.deliverPending()).sent.length, 1)
      assert.equal(outbox.messages.length, 1)
    })

    it('refuses message text with line breaks', async () => {
      const { inv } = await setUp()
      await inv.createClients('acme', 'a@example.com', { by: ADMIN })
      await assert.rejects(inv.send('acme', ['a@example.com'], { by: ADMIN, subject: 'Hi\r\nBcc: x@evil.example' }), {
        code: 'invalid_message_text',
      })
    })

    it('updates the organization and reads one client', async () => {
      const { outbox, inv } = await setUp()
      const updated = await inv.updateOrganization('acme', {
        by: ADMIN,
        name: 'Acme Inc',
        expiryDays: 3,
        timeZone: 'Europe/Paris',
      })
      assert.deepEqual([updated.name, updated.expiry, updated.timeZone], ['Acme Inc', 3, 'Europe/Paris'])
      assert.equal((await inv.organization('acme')).name, 'Acme Inc')
      await assert.rejects(inv.updateOrganization('acme', { by: ADMIN, expiryDays: 0 }), {
        code: 'invalid_expiry_window',
      })
      await inv.createClients('acme', 'jane@example.com', { by: ADMIN, send: true })
      assert.match(outbox.messages[0].text, /Acme Inc/)
      const record = await inv.client('acme', 'jane@example.com', { by: ADMIN })
      assert.equal(record.client.email.address, 'jane@example.com')
      assert.equal(record.invitations.length, 1)
      assert.equal((await inv.clientByEmail('acme', 'JANE@example.com')).client.id, record.client.id)
      await assert.rejects(inv.client('acme', 'nobody@example.com', { by: ADMIN }), { code: 'client_not_found' })
      const guest = await inv.addGuest('acme', 'guest@example.net', { by: ADMIN, name: 'Gus' })
      assert.equal(guest.status, 'invite_pending')
      assert.equal(guest.delivery, 'sent')
    })

    it('keeps the event loop running while a large import runs', async () => {
      const { inv } = await setUp()
      const rows = kind === 'sqlite' ? 20_000 : 2_000
      let csv = 'email,name\n'
      for (let i = 0; i < rows; i++) csv += `person${i}@example.com,Person ${i}\n`
      let ticks = 0
      const timer = setInterval(() => ticks++, 1)
      const started = performance.now()
      const importing = inv.importClients('acme', csv, { by: ADMIN })
      // The call returned at once: nothing ran on this thread yet.
      assert.ok(performance.now() - started < 50, 'the call returns a Promise at once')
      const report = await importing
      const elapsed = performance.now() - started
      clearInterval(timer)
      assert.equal(report.created, rows)
      // A blocked loop would tick once at most; a free one about once a millisecond (timers
      // are coarse: ask for a tenth).
      assert.ok(ticks >= Math.min(20, elapsed / 10), `${ticks} ticks in ${elapsed.toFixed(0)} ms`)
    })
  })
}

describe('Invitations, whatever the store', () => {
  it('keeps messages in memory by default and tells the time of its clock', async () => {
    const clock = new FixedClock(T0)
    const inv = new Invitations({ clock })
    await inv.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN })
    await inv.createClients('acme', 'a@example.com', { by: ADMIN, send: true })
    const messages = inv.sentMessages()
    assert.equal(messages.length, 1)
    assert.equal(messages[0].to, 'a@example.com')
    assert.deepEqual(inv.now(), T0)
    clock.set(new Date(T0.getTime() + DAY))
    assert.equal(inv.now().getTime(), T0.getTime() + DAY)
    clock.advance(-DAY)
    assert.deepEqual(clock.now(), T0)
    assert.throws(() => new FixedClock(new Date('nonsense')), TypeError)
  })

  it('rejects with the very error a JS store rejected with', async () => {
    class Broken extends MemoryBackend {
      async commit() {
        const error = new Error('disk I/O error from the host database')
        error.code = 'EIO'
        this.error = error
        throw error
      }
    }
    const backend = new Broken()
    const inv = new Invitations({ store: backend, clock: new FixedClock(T0) })
    await assert.rejects(inv.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN }), (error) => {
      assert.equal(error, backend.error, 'the same object')
      assert.equal(error.code, 'EIO')
      assert.ok(error.stack.includes('commit'))
      return true
    })
  })

  it('rejects with the very error a JS store threw synchronously', async () => {
    const backend = new MemoryBackend()
    const thrown = new RangeError('no connection')
    const store = {
      get: (kind, key) => backend.get(kind, key),
      scan: () => {
        throw thrown
      },
      commit: (writes) => backend.commit(writes),
    }
    const inv = new Invitations({ store, clock: new FixedClock(T0) })
    await inv.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN })
    await assert.rejects(inv.listClients('acme', { by: ADMIN }), (error) => error === thrown)
    // The service goes on: the next call works.
    assert.equal((await inv.organization('acme')).name, 'Acme')
  })

  it('works with a synchronous JS store answering objects', async () => {
    // The contract, written plainly: Maps, synchronous answers, `{ key, version, body }`.
    const docs = new Map()
    let conflicts = 0
    const store = {
      get(kind, key) {
        const found = docs.get(`${kind}\u0000${key}`)
        return found === undefined ? null : { key, version: found.version, body: found.body }
      },
      scan(kind, prefix) {
        const out = []
        for (const [id, doc] of docs) {
          const [k, key] = id.split('\u0000')
          if (k === kind && key.startsWith(prefix)) out.push({ key, version: doc.version, body: doc.body })
        }
        return out.sort((a, b) => invitekit.compareKeys(a.key, b.key))
      },
      commit(writes) {
        for (const { kind, key, expected } of writes) {
          const found = docs.get(`${kind}\u0000${key}`)
          const ok =
            expected === null ? true : expected === 0 ? found === undefined : found?.version === expected
          if (!ok) {
            conflicts++
            throw invitekit.conflictError()
          }
        }
        for (const { kind, key, body } of writes) {
          const id = `${kind}\u0000${key}`
          if (body === null) docs.delete(id)
          else docs.set(id, { version: (docs.get(id)?.version ?? 0) + 1, body })
        }
      },
    }
    const a = new Invitations({ store, clock: new FixedClock(T0) })
    const b = new Invitations({ store, clock: new FixedClock(T0) })
    await a.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN })
    // Two services create the same address at once: one client, the other sees it existing.
    const [one, two] = await Promise.all([
      a.createClients('acme', 'jane@example.com', { by: ADMIN }),
      b.createClients('acme', 'jane@example.com', { by: ADMIN }),
    ])
    assert.deepEqual([one.created + two.created, one.existing + two.existing], [1, 1])
    assert.equal((await a.listClients('acme', { by: ADMIN })).total, 2)
    assert.ok(conflicts >= 0)
  })

  it('refuses a store or a mailer without their methods', () => {
    assert.throws(() => new Invitations({ store: { get() {}, scan() {} } }), /commit/)
    assert.throws(() => new Invitations({ mailer: {} }), /send/)
  })

  it('answers an argument of the wrong type with a TypeError, thrown at once', () => {
    const inv = new Invitations()
    assert.throws(() => inv.createClients('acme', 42, { by: ADMIN }), TypeError)
    assert.throws(() => inv.listClients('acme', { by: ADMIN, newSince: 'yesterday' }), TypeError)
  })
})
