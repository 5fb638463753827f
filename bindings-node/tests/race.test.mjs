// The double accept, at scale: many services (each its own database connection, as many app
// servers would have) accept one link at once. Every call runs on its own worker thread, so the
// accepts really overlap. Exactly one activates; every other one is "already accepted".

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, it } from 'node:test'

import invitekit from '../index.js'

const { FixedClock, Invitations, MemoryBackend } = invitekit

const T0 = new Date('2026-11-21T09:00:00Z')
const ADMIN = 'admin@acme.example'
const SERVICES = 8

const dir = mkdtempSync(join(tmpdir(), 'invitekit-race-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const openers = {
  sqlite: { open: (path) => () => Invitations.open(path, { clock: new FixedClock(T0) }), accepts: 25 },
  'js-memory': {
    open: () => {
      const backend = new MemoryBackend()
      return async () => new Invitations({ store: backend, clock: new FixedClock(T0) })
    },
    accepts: 5,
  },
}

for (const [kind, { open, accepts }] of Object.entries(openers)) {
  it(`one link accepted ${SERVICES * accepts} times at once on ${kind} activates once`, async () => {
    const openService = open(join(dir, `${kind}.db`))
    const first = await openService()
    await first.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN })
    await first.createClients('acme', 'jane@example.com', { by: ADMIN, send: true })
    const [message] = first.sentMessages()
    const token = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(message.text)[1]

    const services = await Promise.all(Array.from({ length: SERVICES }, () => openService()))
    const results = await Promise.all(
      services.flatMap((service) =>
        Array.from({ length: accepts }, () =>
          service.accept(token, 'jane@example.com').then(
            (accepted) => accepted.activatedNow,
            (error) => error.code ?? String(error),
          ),
        ),
      ),
    )
    assert.equal(results.filter((r) => r === true).length, 1, JSON.stringify(results))
    assert.equal(results.filter((r) => r === false).length, results.length - 1, JSON.stringify(results))

    const events = await first.events('acme', { by: ADMIN, limit: 1000 })
    const accepted = events.filter((e) => e.action.type === 'invitation_accepted')
    assert.equal(accepted.length, 1)
    const listed = await first.listClients('acme', { by: ADMIN, status: 'activated' })
    assert.equal(listed.total, 2, 'the admin and jane')
  })
}
