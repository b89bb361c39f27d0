"""`stpbot serve slack` and `stpbot serve teams`: run the bot in a chat platform."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stpbot.cli.common import (
    BuildBar,
    console,
    embedder,
    gate,
    limits,
    load_settings,
    open_state,
    report_build,
)
from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from collections.abc import Callable

    from stpbot.chat.bot import ChatBot
    from stpbot.config import Settings
    from stpbot.slack.deps import Deps
    from stpbot.slack.installations import DatabaseInstallationStore
    from stpbot.state.shared import SharedState

app = typer.Typer(help="Run the bot in a chat platform.", no_args_is_help=True)
# On stop, how long answers already acknowledged may take to be posted.
DRAIN_SECONDS = 10.0


def open_bot(
    settings: Settings,
    frontend: str,
    state: SharedState,
    also_admin: Callable[[str], bool] | None = None,
) -> ChatBot:
    """Load (or build) the index and wire the bot every chat frontend talks to."""
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine

    live = LiveEngine(
        knowledge_dir=settings.knowledge_dir,
        index_dir=settings.index_dir,
        embedder=embedder(settings),
        gate=gate(settings),
        max_question_chars=settings.max_question_chars,
        limits=limits(settings),
        token_passages=settings.token_passages,
        build_lock=state.build_lock,
    )
    bar = BuildBar()
    try:
        report = live.open(bar)
    finally:
        bar.stop()
    if report is not None:
        report_build(report)
    live.watch()  # pick up indexes published by `stpbot index` or a rollback
    return ChatBot(
        live,
        state.feedback,
        frontend=frontend,
        admins=settings.admin_users,
        conversations=state.conversations,
        events=state.seen,
        also_admin=also_admin,
    )


def _health(bot: ChatBot) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(bot.health())


def _check_token(settings: Settings) -> None:
    """Ask Slack who the token belongs to before spending seconds loading the model."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    assert settings.slack_bot_token is not None
    # The failure becomes our one-line error; slack_sdk's own error log would repeat it.
    quiet = logging.getLogger("stpbot.slack.preflight")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=15,
        logger=quiet,
    )
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        raise StpbotError(f"Slack rejected SLACK_BOT_TOKEN ({error})") from exc
    except OSError as exc:
        raise StpbotError(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from exc


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _slack_bot(settings: Settings) -> tuple[ChatBot, DatabaseInstallationStore | None]:
    """The bot, and in OAuth mode the workspaces' installations (their installers are
    the workspaces' admins)."""
    from stpbot.slack.app import installation_store

    state = open_state(settings)
    installations = installation_store(settings, state.database)
    also_admin = installations.installed_by if installations else None
    return open_bot(settings, "slack", state, also_admin), installations


def _slack_app(
    settings: Settings,
    bot: ChatBot,
    socket_mode: bool,
    installations: DatabaseInstallationStore | None = None,
    deps: Deps | None = None,
) -> Any:
    from stpbot.slack.app import create_app

    try:
        return create_app(
            settings, bot, socket_mode=socket_mode, installations=installations, deps=deps
        )
    except Exception as exc:
        # Bolt checks the token with auth.test at start-up; say why it failed, in one line.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StpbotError(f"cannot start the Slack app: {reason}") from exc


def _slack_http(settings: Settings) -> tuple[Any, Deps]:
    """The guarded WSGI application of one worker, with its answer workers."""
    from stpbot.slack.deps import Deps
    from stpbot.slack.server import wsgi_app

    bot, installations = _slack_bot(settings)
    deps = Deps(bot)
    slack_app = _slack_app(settings, bot, socket_mode=False, installations=installations, deps=deps)
    assert settings.slack_signing_secret is not None
    secret = settings.slack_signing_secret.get_secret_value()
    return wsgi_app(slack_app, secret, lambda: _health(bot)), deps


def _serve_until_stopped(server: Any, deps: Deps) -> None:
    """Serve until SIGTERM or SIGINT, then answer what was already taken and exit.

    A container's PID 1 ignores SIGTERM unless it handles it; here it stops waitress
    taking requests (waitress shuts down on SystemExit), and the answers already
    acknowledged are posted before the process ends, for at most DRAIN_SECONDS.
    """
    import signal

    def stop(signum: int, _: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.close()
        if not deps.drain(DRAIN_SECONDS):
            logging.getLogger("stpbot.slack").warning(
                "stopped with answers still unsent after %.0f s", DRAIN_SECONDS
            )


def _ensure_index(settings: Settings) -> None:
    """Build the index if it is missing or stale, before worker processes start.

    The build runs in a child process: the parent forks the workers, and a parent
    that had started OpenMP or ONNX Runtime threads could hang its children.
    """
    import subprocess
    import sys

    from stpbot.index.build import is_stale

    def stale() -> bool:
        return is_stale(
            settings.index_dir,
            settings.knowledge_dir,
            settings.embedding_model,
            settings.embedding_backend,
        )

    if not stale():
        return
    dirs = ["--knowledge-dir", str(settings.knowledge_dir), "--index-dir", str(settings.index_dir)]
    # --wait: another replica may be building the shared index right now.
    subprocess.run([sys.executable, "-m", "stpbot", *dirs, "index", "--wait"], check=False)
    if stale():
        raise StpbotError("the index could not be built (see above); the bot was not started")


@app.command("slack")
def slack(
    ctx: typer.Context,
    http: Annotated[
        bool, typer.Option("--http", help="Serve the Events API over HTTP instead of Socket Mode")
    ] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, envvar="PORT", help="HTTP port (with --http)")
    ] = 3000,
    host: Annotated[str, typer.Option(help="HTTP address to bind (with --http)")] = "0.0.0.0",
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Worker processes (with --http); each loads its own model"
        ),
    ] = 1,
) -> None:
    """Run the Slack app: Socket Mode (needs SLACK_APP_TOKEN) or, with --http, Slack's
    Events API, commands and buttons on /slack/events, with GET /healthz."""
    settings = load_settings(ctx)
    if settings.slack_oauth and not http:
        raise StpbotError("OAuth mode (SLACK_CLIENT_ID) serves the install flow over --http")
    if settings.slack_bot_token is None and not settings.slack_oauth:
        raise StpbotError("SLACK_BOT_TOKEN is not set; see the README's Slack section")
    if http and settings.slack_signing_secret is None:
        raise StpbotError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify Slack")
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if not http and not app_token.startswith("xapp-"):
        raise StpbotError("Socket Mode needs SLACK_APP_TOKEN (an xapp- token); or run with --http")
    if not settings.slack_oauth:
        _check_token(settings)  # in OAuth mode each workspace's token comes with its install
    _logging(settings.log_level)
    out = console(stderr=True)
    if http and workers > 1:
        from stpbot.slack.server import prefork_server

        _ensure_index(settings)  # once, here, rather than racing in every worker
        server = prefork_server(lambda: _slack_http(settings)[0], host, port, workers)
        out.print(
            f"Serving Slack on http://{host}:{port}/slack/events with {workers} worker "
            "processes (health: /healthz)"
        )
        server.run()
        return
    if http:
        from stpbot.slack.server import http_server

        application, deps = _slack_http(settings)
        server = http_server(application, host, port)
        out.print(f"Serving Slack on http://{host}:{port}/slack/events (health: /healthz)")
        _serve_until_stopped(server, deps)
    else:
        from stpbot.slack.server import socket_mode_handler

        slack_app = _slack_app(settings, _slack_bot(settings)[0], socket_mode=True)
        out.print("Connecting to Slack in Socket Mode")
        socket_mode_handler(slack_app, app_token).start()  # type: ignore[no-untyped-call]


@app.command("teams")
def teams(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, envvar="PORT", help="HTTP port")] = 3978,
    host: Annotated[str, typer.Option(help="HTTP address to bind")] = "0.0.0.0",
) -> None:
    """Run the Teams app: POST /api/messages (Bot Framework JWTs required) and GET /healthz."""
    import asyncio

    settings = load_settings(ctx)
    password = (
        settings.teams_app_password.get_secret_value() if settings.teams_app_password else None
    )
    dev = settings.teams_allow_unauthenticated
    if not dev and not (settings.teams_app_id and password):
        raise StpbotError(
            "STPBOT_TEAMS_APP_ID and STPBOT_TEAMS_APP_PASSWORD are required; for local "
            "development only, set STPBOT_TEAMS_ALLOW_UNAUTHENTICATED=true"
        )
    out = console(stderr=True)
    if dev:
        host = "127.0.0.1"
        out.print(
            "WARNING: Teams requests are NOT authenticated (STPBOT_TEAMS_ALLOW_UNAUTHENTICATED); "
            "listening on 127.0.0.1 only",
            markup=False,
        )
    _logging(settings.log_level)
    bot = open_bot(settings, "teams", open_state(settings))
    import warnings

    # The SDK's notices about its own internals are not for the person running the bot.
    warnings.filterwarnings("ignore", message="The bot client is deprecated")
    warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")

    from stpbot.teams.app import create_app
    from stpbot.teams.server import http_server, run

    teams_app, web = create_app(
        bot,
        app_id=settings.teams_app_id,
        app_password=password,
        tenant_id=settings.teams_tenant_id,
        allow_unauthenticated=dev,
        openid_metadata_url=settings.teams_openid_metadata_url,
    )
    out.print(f"Serving Teams on http://{host}:{port}/api/messages (health: /healthz)")
    asyncio.run(run(teams_app, http_server(web, host, port)))
