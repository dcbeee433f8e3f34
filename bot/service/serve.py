"""`psdm-bot serve`: build the app from checked settings, run uvicorn until told to stop."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.config import Settings
from bot.service.app import create_app
from bot.service.logs import configure_logging

__all__ = ["HeaderDeadline", "configure_logging", "serve", "server_options"]


HEADER_SECONDS = 10.0
"""The most a client may take to send a request's headers (uvicorn sets no such bound)."""


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's HTTP protocol, closing a connection whose request headers come too slowly.

    Without it, a client sending one header byte every few seconds holds a connection for as
    long as it likes; the deadline runs from the connection's start and from the end of each
    response until the next request's headers are complete.
    """

    header_seconds = HEADER_SECONDS
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._stop_header_timer()
        self._header_timer = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's bounds on what a client may hold: idle time, header time, connections."""
    return {
        "http": HeaderDeadline,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.max_connections,
        "timeout_graceful_shutdown": 10,
        "access_log": False,
    }


def serve(settings: Settings, host: str, port: int, log_level: str = "info") -> None:
    """Serve until stopped; every log line, uvicorn's included, in the one format."""
    configure_logging(log_level)
    # Files the service creates (SQLite databases with confidential payloads) are its own.
    os.umask(0o077)
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,
        **server_options(settings),
    )
