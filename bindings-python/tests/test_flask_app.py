"""The example Flask app over real HTTP: a werkzeug server on loopback, urllib as the browser.
Invite, the email captured by a Python mailer, preview on GET (changes nothing), accept on
POST, and the refusals as HTTP statuses with the stable codes."""

from __future__ import annotations

import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from invitekit import Invitations

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "flask_app"))
from app import create_app  # noqa: E402

ADMIN = "admin@acme.example"


class Captured:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Invitations, Captured]]:
    mail = Captured()
    service = Invitations.open(tmp_path / "app.db", mailer=mail)
    server = make_server("127.0.0.1", 0, create_app(service, org="acme", admin=ADMIN))
    base = f"http://127.0.0.1:{server.server_port}"
    service.create_organization(
        "acme", name="Acme", admin_email=ADMIN, accept_url=base + "/invitations/{token}"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, service, mail
    finally:
        server.shutdown()
        thread.join()


def http(method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_invite_preview_accept_over_http(site: tuple[str, Invitations, Captured]) -> None:
    base, service, mail = site
    status, body = http("POST", base + "/admin/invite",
                        {"emails": "Jane Doe <jane@example.com>, bob@example.org"})
    assert status == 200, body
    assert json.loads(body) == {"created": 2, "invited": 2, "existing": 0}
    assert [m["to"] for m in mail.messages] == ["jane@example.com", "bob@example.org"]
    link = re.search(r"http://\S+/invitations/[A-Za-z0-9_-]{43}", mail.messages[0]["text"])
    assert link, mail.messages[0]["text"]

    # GET, as a mail scanner would, twice: a page, and nothing changes.
    for _ in range(2):
        status, page = http("GET", link.group(0))
        assert status == 200
        assert "admin@acme.example invites j•••@example.com to Acme" in page
    listed = service.list_clients("acme", by=ADMIN, status="activated")
    assert listed["total"] == 1, "only the admin is activated after GETs"

    status, body = http("POST", link.group(0), {"email": "mallory@example.com"})
    assert status == 403 and json.loads(body)["error"]["code"] == "email_mismatch"
    status, body = http("POST", link.group(0), {"email": "jane@example.com"})
    assert status == 200, body
    assert json.loads(body) == {"status": "activated", "activated_now": True}
    status, body = http("POST", link.group(0), {"email": "jane@example.com"})
    assert json.loads(body) == {"status": "activated", "activated_now": False}


def test_refusals_are_http_statuses_with_codes(site: tuple[str, Invitations, Captured]) -> None:
    base, _service, mail = site
    status, body = http("POST", base + "/admin/invite", {"emails": "ok@example.com, bad@"})
    assert status == 400
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_batch"
    assert [e["code"] for e in error["entries"]] == ["missing_domain"]
    assert mail.messages == []
    status, body = http("GET", base + "/invitations/" + "A" * 43)
    assert status == 404 and json.loads(body)["error"]["code"] == "invitation_not_found"
