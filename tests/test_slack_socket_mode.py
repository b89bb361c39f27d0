"""Socket Mode runs the same app and listeners; requests arrive as envelopes, acks go back
over the socket, and answers still go to the Web API."""

from __future__ import annotations

import pytest

from tests.support import BOT_USER, slack_settings
from tests.support.slack import QUESTION, mention, section_texts


class RecordingSocket:
    """Stands in for the WebSocket connection: records the envelopes acknowledged."""

    def __init__(self):
        import logging

        self.responses = []
        self.logger = logging.getLogger("test.socket")

    def send_socket_mode_response(self, response):
        self.responses.append(response)


@pytest.fixture
def socket_app(fake_slack, tmp_path, built, embedder):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.slack.app import create_app
    from stpbot.slack.deps import Deps
    from stpbot.slack.server import socket_mode_handler
    from stpbot.state.feedback import FeedbackStore

    knowledge, index = built
    settings = slack_settings(fake_slack, tmp_path)
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    deps = Deps(ChatBot(live, FeedbackStore(settings.feedback_db), frontend="slack"))
    app = create_app(settings, deps.bot, socket_mode=True, deps=deps)
    handler = socket_mode_handler(app, "xapp-1-A0001-test")
    yield app, handler
    deps.workers.shutdown(wait=True)
    handler.client.close()


def test_handler_is_wired_to_the_app_and_its_listeners(socket_app):
    app, handler = socket_app
    assert handler.app is app
    assert handler.handle in handler.client.socket_mode_request_listeners
    names = {listener.ack_function.__name__ for listener in app._listeners}
    assert {"answer_mention", "answer_direct_message", "publish_home", "handle_stp"} <= names
    assert {"record_vote", "show_more", "share_in_channel"} <= names


def test_slash_command_over_the_socket_is_acked_then_answered(socket_app, fake_slack):
    from slack_sdk.socket_mode.request import SocketModeRequest

    _, handler = socket_app
    socket = RecordingSocket()
    payload = {
        "token": "t",
        "team_id": "T0001",
        "channel_id": "C0000001",
        "user_id": "U0000001",
        "command": "/stp",
        "text": f"ask {QUESTION}",
        "response_url": fake_slack.response_url("socket"),
        "trigger_id": "1.2.3",
        "api_app_id": "A0001",
    }
    request = SocketModeRequest("slash_commands", "env-1", payload, accepts_response_payload=True)
    handler.handle(socket, request)
    assert [r.envelope_id for r in socket.responses] == ["env-1"]
    assert "Searching the briefings" in socket.responses[0].payload["text"]
    reply = fake_slack.wait_count("response_url", 1)[0]
    assert "absent from STP governance" in section_texts(reply["blocks"])


def test_mention_over_the_socket_is_answered_in_thread(socket_app, fake_slack):
    from slack_sdk.socket_mode.request import SocketModeRequest

    _, handler = socket_app
    socket = RecordingSocket()
    envelope = {
        "type": "event_callback",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event_id": "EvSock1",
        "event": mention(f"<@{BOT_USER}> {QUESTION}", ts="1700002000.000001"),
        "authorizations": [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}],
    }
    handler.handle(socket, SocketModeRequest("events_api", "env-2", envelope))
    assert [r.envelope_id for r in socket.responses] == ["env-2"]
    posted = fake_slack.wait_count("chat.postMessage", 1)[0]
    assert posted["thread_ts"] == "1700002000.000001"
