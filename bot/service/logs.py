"""One log format for every line the service writes: structlog's, uvicorn's, httpx's, DBOS's.

Every logger goes through one handler on the root logger whose formatter is structlog's: JSON
lines when stderr is not a terminal (production, containers), readable lines on a terminal.
Tracebacks are kept for errors only; a warning about an expected failure (GitLab unreachable,
a step retried) says what happened in its message, not in forty lines of stack.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import IO, Any

import structlog

QUIET = ("httpx", "httpcore", "urllib3", "sqlalchemy", "asyncio", "multipart")
"""Libraries whose INFO lines (a line per request) are noise; their warnings still show."""
TAKEN_OVER = ("uvicorn", "uvicorn.error", "uvicorn.access", "dbos", "fastapi")
"""Loggers that configure handlers of their own unless they already have one."""


def _expected(error: object) -> bool:
    """A failure the bot explains itself (GitLab's answer, the network): no stack to read."""
    from bot.gitlab.errors import GitLabError
    from bot.gitlab.rest import NETWORK

    return isinstance(error, (GitLabError, *NETWORK))


def _tracebacks_for_errors_only(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Below ERROR, and for expected failures at any level, the error in one field instead of
    its traceback."""
    exc_info = event.get("exc_info")
    if not exc_info:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    record = event.get("_record")
    level = record.levelno if isinstance(record, logging.LogRecord) else None
    if level is None:
        level = logging.getLevelName(str(event.get("level", "info")).upper())
    if (isinstance(level, int) and level < logging.ERROR) or _expected(error):
        event.pop("exc_info")
        if isinstance(error, BaseException):
            event.setdefault("error", f"{type(error).__name__}: {error}")
    return event


def _plain(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """uvicorn's terminal-coloured copy of its message is noise in a structured line."""
    event.pop("color_message", None)
    return event


def configure_logging(
    level: str = "info", *, json_lines: bool | None = None, stream: IO[str] | None = None
) -> None:
    """Route every logger of the process to one structured handler at `level`."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    output = stream or sys.stderr
    as_json = not output.isatty() if json_lines is None else json_lines
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            _tracebacks_for_errors_only,
            _plain,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([structlog.processors.format_exc_info] if as_json else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    for name in TAKEN_OVER:
        logger = logging.getLogger(name)
        # a handler that drops nothing and prints nothing: DBOS adds its own console handler
        # only to a logger without one; records still reach the root's handler
        logger.handlers = [logging.NullHandler()]
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # the root's level, unless its owner sets one later
    for name in QUIET:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
