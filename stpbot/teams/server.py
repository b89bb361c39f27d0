"""Serve the Teams app with uvicorn: `POST /api/messages` and `GET /healthz`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from microsoft_teams.apps import App


def http_server(web: FastAPI, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the app's FastAPI; `should_exit = True` stops it."""
    import uvicorn

    config = uvicorn.Config(web, host=host, port=port, log_level="warning", lifespan="off")
    return uvicorn.Server(config)


async def run(app: App, server: uvicorn.Server) -> None:
    """Register the messages route, then serve until the server is told to exit."""
    await app.initialize()
    await server.serve()
