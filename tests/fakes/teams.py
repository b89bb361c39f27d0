"""Fakes of the Bot Connector service and of Bot Framework's signing keys (JWKS)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

APP_ID = "11111111-2222-3333-4444-555555555555"

# serve_forever's poll interval: shutdown() waits up to this long for the loop to see it.
POLL = 0.02


class FakeConnector:
    """The Bot Connector service: records every activity the bot sends."""

    def __init__(self):
        self.sent = []
        self.updated = []  # (path, body) of each activity the bot edited in place
        self._cond = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                with fake._cond:
                    fake.sent.append((unquote(self.path), dict(self.headers), body))
                    fake._cond.notify_all()
                data = json.dumps({"id": f"act-{len(fake.sent)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                with fake._cond:
                    fake.updated.append((unquote(self.path), body))
                    fake._cond.notify_all()
                data = json.dumps({"id": unquote(self.path).rsplit("/", 1)[-1]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, args=(POLL,), daemon=True).start()

    def wait(self, count, timeout=30.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.sent) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"the bot sent {len(self.sent)} activities, expected {count}")
                self._cond.wait(left)
            return list(self.sent)

    def wait_until(self, done, timeout=60.0):
        """Wait until `done(sent, updated)` holds; returns (sent, updated)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done(self.sent, self.updated):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"sent {len(self.sent)}, updated {len(self.updated)}")
                self._cond.wait(left)
            return list(self.sent), list(self.updated)

    def close(self):
        self.server.shutdown()


class KeyServer:
    """Serves a JWKS with one RSA key, as login.botframework.com does, and signs tokens."""

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid="test-key", use="sig", alg="RS256")
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.metadata_url = f"http://127.0.0.1:{port}/v1/.well-known/openidconfiguration"
        threading.Thread(target=self.server.serve_forever, args=(POLL,), daemon=True).start()

    def token(self, service_url, **claims):
        import jwt

        now = int(time.time())
        payload = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "serviceurl": service_url,
        }
        payload.update(claims)
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "test-key"})

    def close(self):
        self.server.shutdown()


def outbound_token(scope, tenant=None):
    """Stands in for Entra ID (unreachable here): a JWT-shaped token for replies."""
    import jwt

    return jwt.encode(
        {"scope": str(scope), "exp": int(time.time()) + 3600}, "k" * 32, algorithm="HS256"
    )


class FakeFileHost:
    """Teams' file storage: serves files over HTTPS on loopback (a certificate from a
    test CA, which the caller trusts by pointing SSL_CERT_FILE at `ca_file`), at
    pre-authorised URLs as Teams hands them out, and records each request's headers."""

    def __init__(self, folder):
        import ssl

        import trustme

        self.files = {}
        self.requests = []
        ca = trustme.CA()
        self.ca_file = str(folder / "test-ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                host.requests.append((self.path, dict(self.headers)))
                data = host.files.get(self.path.split("?", 1)[0])
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(POLL,), daemon=True).start()

    def serve(self, name, data):
        """The pre-authorised download URL of a file holding `data`."""
        self.files[f"/files/{name}"] = data
        return f"https://127.0.0.1:{self.port}/files/{name}?tempauth=one-off-token"

    def close(self):
        self.server.shutdown()


def file_attachment(name, url):
    """A file sent to the bot in a personal chat, as Teams describes it on the activity."""
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": name,
        "contentUrl": f"https://contoso-my.sharepoint.com/personal/alex/Documents/{name}",
        "content": {"downloadUrl": url, "uniqueId": "0b1c-file", "fileType": name.rsplit(".")[-1]},
    }
