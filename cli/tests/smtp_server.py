"""A real SMTP server on loopback for the `--smtp` tests (aiosmtpd, trustme).

    python smtp_server.py MODE FOLDER

MODE is `plain` (no TLS, no login), `starttls` (STARTTLS required, then AUTH LOGIN/PLAIN as
user `mailer`, password `s3cret:/@`) or `tls` (implicit TLS from the first byte). The server
makes a throw-away CA with trustme and writes its certificate to FOLDER/ca.pem, saves each
message it accepts as FOLDER/N.eml with FOLDER/N.envelope.json (sender, recipients, login),
and its decoded text part as FOLDER/N.txt,
prints `READY <port>` on stdout, and runs until its standard input closes.
"""

import email
import email.policy
import json
import os
import socket
import ssl
import sys
import threading
import warnings

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

warnings.filterwarnings("ignore", category=DeprecationWarning)  # aiosmtpd's own login_data

USER = b"mailer"
PASSWORD = b"s3cret:/@"


class Saver:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.folder, str(n))
        with open(base + ".envelope.json", "w") as f:
            login = session.auth_data.login.decode() if session.auth_data else None
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "login": login}, f)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with open(base + ".txt", "w") as f:
            f.write(message.get_body(preferencelist=("plain",)).get_content())
        # The raw message last, under another name first: the test never reads half of one.
        with open(base + ".partial", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".partial", base + ".eml")
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER and auth_data.password == PASSWORD
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    mode, folder = sys.argv[1], sys.argv[2]
    ca = trustme.CA()
    ca.cert_pem.write_to_path(os.path.join(folder, "ca.pem"))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
    port = free_port()
    options = {}
    if mode == "starttls":
        options = dict(
            tls_context=server_context,
            require_starttls=True,
            authenticator=authenticator,
            auth_required=True,
        )
    elif mode == "tls":
        options = dict(ssl_context=server_context)
    elif mode != "plain":
        sys.exit(f"unknown mode {mode}")
    controller = Controller(
        Saver(folder), hostname="127.0.0.1", port=port, server_hostname="localhost", **options
    )
    controller.start()
    print(f"READY {port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
