"""`psdm-bot serve`: load the settings, build the app, run uvicorn until told to stop."""

from __future__ import annotations

import logging
import sys

import structlog
import uvicorn
from pydantic import ValidationError

from bot.config import Settings, load_settings
from bot.service.app import create_app


class ConfigProblem(Exception):
    """The settings cannot be loaded; the message says what to fix."""


def settings_or_problem() -> Settings:
    try:
        return load_settings()
    except FileNotFoundError as error:
        raise ConfigProblem(str(error)) from None
    except ValidationError as error:
        lines = [
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        ]
        raise ConfigProblem("invalid settings:\n  " + "\n  ".join(lines)) from None


def configure_logging(level: str) -> None:
    """JSON lines in production, readable lines in a terminal; plain tracebacks either way."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    if sys.stderr.isatty():
        renderer: structlog.typing.Processor = structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.plain_traceback
        )
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
    )


def serve(host: str, port: int, log_level: str = "info") -> None:
    settings = settings_or_problem()
    configure_logging(log_level)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
