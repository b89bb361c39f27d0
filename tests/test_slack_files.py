"""Downloading a shared file: the bot token goes to Slack's file hosts only, over HTTPS
(plain HTTP to loopback alone, for the test double), redirects included."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stpbot.slack.files import SLACK_FILE_HOSTS, DownloadError, download


class Host:
    """A loopback HTTP host that serves `body`, or redirects to `location`, and records
    the Authorization header of every request it gets."""

    def __init__(self, body=b"report", location=None):
        self.seen = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                host.seen.append(self.headers.get("Authorization"))
                if location:
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def hosts():
    made = []

    def make(**kwargs):
        made.append(Host(**kwargs))
        return made[-1]

    yield make
    for host in made:
        host.close()


def test_a_redirect_off_the_allowed_hosts_is_refused_and_gets_no_token(hosts):
    elsewhere = hosts(body=b"not from slack")
    # "localhost" is this machine too, but it is not an allowed host.
    slack = hosts(location=f"http://localhost:{elsewhere.port}/file")
    allowed = SLACK_FILE_HOSTS | {"127.0.0.1"}
    with pytest.raises(DownloadError, match="redirected the download elsewhere"):
        download(f"http://127.0.0.1:{slack.port}/file", "xoxb-secret", allowed, 1000)
    assert slack.seen == ["Bearer xoxb-secret"]
    assert elsewhere.seen == []  # never asked, so never given the token


def test_a_redirect_within_the_allowed_hosts_is_followed(hosts):
    target = hosts(body=b"the report")
    slack = hosts(location=f"http://127.0.0.1:{target.port}/file")
    data = download(f"http://127.0.0.1:{slack.port}/f", "xoxb-t", frozenset({"127.0.0.1"}), 99)
    assert data == b"the report"


def test_plain_http_goes_to_loopback_only():
    for url in ("http://files.slack.com/f", "http://slack.com/api/f"):
        with pytest.raises(DownloadError, match="plain HTTP"):
            download(url, "xoxb-t", SLACK_FILE_HOSTS | {"slack.com"}, 10)
    with pytest.raises(DownloadError, match="not on Slack's file servers"):
        download("https://evil.example/f", "xoxb-t", SLACK_FILE_HOSTS, 10)
