"""`/psdm` slash commands in issue comments: parsing, the command table, roles and help.

The router here turns a new comment into one `CommandComment` action; the service runs its
lines in order as durable steps (bot/service/commands.py) and replies once.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.events.commands.comment import CommandComment, command_comment
from bot.events.event import Event
from bot.events.router import Context, Router

router = Router()


@router.register("Note Hook", action="create")
def run_commands(event: Event, context: Context) -> Iterator[CommandComment]:
    found = command_comment(event)
    if found:
        yield found


__all__ = ["CommandComment", "router"]
