"""A Flask app that invites clients with invitekit: the whole loop in one file.

    POST /admin/invite          form ``emails`` (a pasted list): create and invite, all or nothing
    GET  /invitations/<token>   what the link's holder sees; changes nothing (link scanners,
                                previews and prefetchers only GET)
    POST /invitations/<token>   accept, as the signed-in account (here the form's ``email``;
                                in a real app, the session's user)

Run it: ``python examples/flask_app/app.py`` (SQLite in ./invitations.db, emails printed on the
console). ``create_app`` takes the service, so tests and hosts choose the store and mailer.
"""

from __future__ import annotations

import html
import sys
from typing import Any

from flask import Flask, Response, jsonify, request

import invitekit
from invitekit import Invitations


def create_app(service: Invitations, *, org: str, admin: str) -> Flask:
    """The app on ``service``, acting in ``org`` as ``admin`` (a real app: the session's user)."""
    app = Flask(__name__)

    @app.errorhandler(invitekit.InvitekitError)
    def refused(error: invitekit.InvitekitError) -> tuple[Response, int]:
        status = 404 if isinstance(error, invitekit.NotFoundError) else 400
        if isinstance(error, invitekit.ForbiddenError):
            status = 403
        if isinstance(error, invitekit.ExpiredError):
            status = 410
        body: dict[str, Any] = {"code": error.code, "message": str(error)}
        if isinstance(error, invitekit.InvalidAddressesError):
            body["entries"] = error.entries
        return jsonify(error=body), status

    @app.post("/admin/invite")
    def invite() -> Response:
        report = service.create_clients(org, request.form["emails"], by=admin, send=True)
        return jsonify(created=report["created"], invited=report["invited"],
                       existing=report["existing"])

    @app.get("/invitations/<token>")
    def preview(token: str) -> str:
        seen = service.preview(token)
        return (
            f"<h1>{html.escape(seen['inviter'] or 'Someone')} invites {html.escape(seen['masked_email'])}"
            f" to {html.escape(seen['organization'])}</h1>"
            f"<p>Valid until {html.escape(seen['deadline'])}.</p>"
            f"<form method=post><input name=email><button>Accept</button></form>"
        )

    @app.post("/invitations/<token>")
    def accept(token: str) -> Response:
        accepted = service.accept(token, request.form["email"])
        return jsonify(status=str(accepted["status"]), activated_now=accepted["activated_now"])

    return app


class ConsoleMailer:
    """Prints each invitation (a real app hands it to its email backend)."""

    def send(self, message: dict[str, Any]) -> None:
        print(f"To: {message['to']}\nSubject: {message['subject']}\n\n{message['text']}\n",
              file=sys.stderr)


if __name__ == "__main__":
    service = Invitations.open("invitations.db", mailer=ConsoleMailer())
    try:
        service.create_organization(
            "default", name="Acme", admin_email="admin@acme.example",
            accept_url="http://127.0.0.1:5000/invitations/{token}",
        )
    except invitekit.AlreadyExistsError:
        pass
    create_app(service, org="default", admin="admin@acme.example").run()
