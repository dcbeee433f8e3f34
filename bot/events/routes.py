"""The router the service uses: every handler module's routes in one place."""

from __future__ import annotations

from bot.events import commands, handlers
from bot.events.router import Router


def build_router() -> Router:
    return Router(handlers.router, commands.router)
