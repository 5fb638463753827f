// The example app (examples/http-app.mjs) over real HTTP: a `node:http` server on loopback,
// `fetch` as the browser. Invite, the email captured by a JS mailer, preview on GET (changes
// nothing), accept on POST, and the refusals as HTTP statuses with the stable codes.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'

import invitekit from '../index.js'
import { createApp } from '../examples/http-app.mjs'

const { Invitations } = invitekit

const ADMIN = 'admin@acme.example'
const dir = mkdtempSync(join(tmpdir(), 'invitekit-http-'))

/** A mailer that keeps what it is given. */
const mail = {
  messages: [],
  async send(message) {
    this.messages.push(message)
  },
}

let server
let base
let service

before(async () => {
  service = await Invitations.open(join(dir, 'app.db'), { mailer: mail })
  server = createServer(createApp(service, { org: 'acme', admin: ADMIN }))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`
  await service.createOrganization('acme', { name: 'Acme', adminEmail: ADMIN, acceptUrl: `${base}/invitations/{token}` })
})

after(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

async function http(method, url, fields) {
  const response = await fetch(url, {
    method,
    body: fields === undefined ? undefined : new URLSearchParams(fields),
  })
  return [response.status, await response.text()]
}

it('invites, previews on GET without changing anything, and accepts on POST', async () => {
  let [status, body] = await http('POST', `${base}/admin/invite`, { emails: 'Jane Doe <jane@example.com>, bob@example.org' })
  assert.equal(status, 200, body)
  assert.deepEqual(JSON.parse(body), { created: 2, invited: 2, existing: 0 })
  assert.deepEqual(
    mail.messages.map((m) => m.to),
    ['jane@example.com', 'bob@example.org'],
  )
  const link = /http:\/\/\S+\/invitations\/[A-Za-z0-9_-]{43}/.exec(mail.messages[0].text)
  assert.ok(link, mail.messages[0].text)

  // GET, as a mail scanner would, twice: a page, and nothing changes.
  for (let i = 0; i < 2; i++) {
    ;[status, body] = await http('GET', link[0])
    assert.equal(status, 200)
    assert.ok(body.includes('admin@acme.example invites j•••@example.com to Acme'), body)
  }
  const listed = await service.listClients('acme', { by: ADMIN, status: 'activated' })
  assert.equal(listed.total, 1, 'only the admin is activated after GETs')

  ;[status, body] = await http('POST', link[0], { email: 'mallory@example.com' })
  assert.equal(status, 403)
  assert.equal(JSON.parse(body).error.code, 'email_mismatch')
  ;[status, body] = await http('POST', link[0], { email: 'jane@example.com' })
  assert.equal(status, 200, body)
  assert.deepEqual(JSON.parse(body), { status: 'activated', activatedNow: true })
  ;[status, body] = await http('POST', link[0], { email: 'jane@example.com' })
  assert.deepEqual(JSON.parse(body), { status: 'activated', activatedNow: false })
})

it('answers refusals with HTTP statuses and the stable codes', async () => {
  const sent = mail.messages.length
  let [status, body] = await http('POST', `${base}/admin/invite`, { emails: 'ok@example.com, bad@' })
  assert.equal(status, 400)
  const { error } = JSON.parse(body)
  assert.equal(error.code, 'invalid_batch')
  assert.deepEqual(
    error.entries.map((e) => e.code),
    ['missing_domain'],
  )
  assert.equal(mail.messages.length, sent, 'nothing sent')
  ;[status, body] = await http('GET', `${base}/invitations/${'A'.repeat(43)}`)
  assert.equal(status, 404)
  assert.equal(JSON.parse(body).error.code, 'invitation_not_found')
})
