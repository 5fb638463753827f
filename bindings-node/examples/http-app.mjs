// A plain `node:http` app that invites clients with invitekit: the whole loop in one file.
//
//     POST /admin/invite          form `emails` (a pasted list): create and invite, all or nothing
//     GET  /invitations/:token    what the link's holder sees; changes nothing (link scanners,
//                                 previews and prefetchers only GET)
//     POST /invitations/:token    accept, as the signed-in account (here the form's `email`; in a
//                                 real app, the session's user)
//
// Run it: `node examples/http-app.mjs` (SQLite in ./invitations.db, emails printed on the
// console). `createApp` takes the service, so tests and hosts choose the store and the mailer.
// Every service call returns a Promise and runs off the main thread: the server keeps serving
// while SQLite or the mailer works.

import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'

import invitekit from '../index.js' // `import invitekit from 'invitekit'` in an app

const { Invitations, InvitekitError, errorFamily } = invitekit

/** The HTTP status for a refusal, by the code's family. */
const STATUS = {
  invalid_addresses: 400,
  invalid_input: 400,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  expired: 410,
  conflict: 409,
  storage: 503,
  delivery: 502,
}

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

/** The form fields of a request (`application/x-www-form-urlencoded`), at most 1 MiB. */
async function form(request) {
  let body = ''
  for await (const chunk of request) {
    body += chunk
    if (body.length > 1 << 20) throw new InvitekitError('input_too_large')
  }
  return new URLSearchParams(body)
}

function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type })
  response.end(body)
}

const json = (response, status, value) => send(response, status, 'application/json', JSON.stringify(value))

/**
 * The app on `service`, acting in `org` as `admin` (a real app: the session's user): a request
 * listener for `http.createServer`.
 */
export function createApp(service, { org, admin }) {
  async function route(request, response) {
    const url = new URL(request.url, 'http://localhost')
    if (url.pathname === '/admin/invite' && request.method === 'POST') {
      const fields = await form(request)
      const report = await service.createClients(org, fields.get('emails') ?? '', { by: admin, send: true })
      return json(response, 200, { created: report.created, invited: report.invited, existing: report.existing })
    }
    const link = /^\/invitations\/([A-Za-z0-9_-]+)$/.exec(url.pathname)
    if (link && request.method === 'GET') {
      const seen = await service.preview(link[1])
      return send(
        response,
        200,
        'text/html; charset=utf-8',
        `<h1>${escape(seen.inviter ?? 'Someone')} invites ${escape(seen.maskedEmail)} to ${escape(seen.organization)}</h1>` +
          `<p>Valid until ${escape(seen.deadline)}.</p>` +
          '<form method=post><input name=email><button>Accept</button></form>',
      )
    }
    if (link && request.method === 'POST') {
      const fields = await form(request)
      const accepted = await service.accept(link[1], fields.get('email') ?? '')
      return json(response, 200, { status: accepted.status, activatedNow: accepted.activatedNow })
    }
    return json(response, 404, { error: { code: 'not_found', message: 'no such page' } })
  }

  return (request, response) => {
    route(request, response).catch((error) => {
      if (error instanceof InvitekitError) {
        const body = { code: error.code, message: error.message }
        if (error.entries.length > 0) body.entries = error.entries
        return json(response, STATUS[errorFamily(error.code)] ?? 400, { error: body })
      }
      console.error(error)
      json(response, 500, { error: { code: 'internal', message: 'internal error' } })
    })
  }
}

/** Prints each invitation (a real app hands it to its email provider, with `message.id` as the idempotency key). */
export class ConsoleMailer {
  async send(message) {
    console.error(`To: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000)
  const service = await Invitations.open('invitations.db', { mailer: new ConsoleMailer() })
  try {
    await service.createOrganization('default', {
      name: 'Acme',
      adminEmail: 'admin@acme.example',
      acceptUrl: `http://127.0.0.1:${port}/invitations/{token}`,
    })
  } catch (error) {
    if (error.code !== 'organization_exists') throw error
  }
  createServer(createApp(service, { org: 'default', admin: 'admin@acme.example' })).listen(port, '127.0.0.1', () =>
    console.error(`listening on http://127.0.0.1:${port}`),
  )
}
