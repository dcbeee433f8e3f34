"""What every command shares: one line per error, exit codes, no traceback for a user's mistake."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import typer

from bot.gitlab.errors import GitLabError, Unreachable

T = TypeVar("T")
DEBUG_ENV = "PSDM_DEBUG"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on stderr; raise the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _diagnosis(url_token: Callable[[], tuple[str, str]] | None) -> str | None:
    """Why GitLab could not be used, from the preflight checks (TLS, an HTML page, ...)."""
    if url_token is None:
        return None
    from bot.gitlab.preflight import first_problem

    try:
        url, token = url_token()
        return first_problem(url, token)
    except Exception:  # the diagnosis is a courtesy; the original error is still told
        return None


def gitlab_errors(
    run: Callable[[], T], url_token: Callable[[], tuple[str, str]] | None = None
) -> T:
    """Run a command's body: a GitLab problem, or anything unexpected, becomes one line and
    exit 1 (PSDM_DEBUG=1 lets the traceback through)."""
    try:
        return run()
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except GitLabError as error:
        cause = _diagnosis(url_token) if isinstance(error, Unreachable) else None
        raise fail(cause or error.message) from None
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            raise
        cause = _diagnosis(url_token)
        if cause:
            raise fail(cause) from None
        raise fail(
            f"{type(error).__name__}: {error} (set {DEBUG_ENV}=1 to see where it happened)"
        ) from None
