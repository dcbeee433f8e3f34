"""A router in the gidgetlab manner: handlers registered per event kind and action.

Handlers are pure: they read the event and the context and return the actions to take. The
router applies the filters every handler would otherwise repeat (the bot's own events,
system notes, comment edits) before any handler sees the event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.events.actions import Action
from bot.events.event import Event

if TYPE_CHECKING:  # the commands' router registers here too; a runtime import would be circular
    from bot.events.commands.comment import CommandComment


@dataclass(frozen=True)
class Context:
    """What handlers may know besides the event (from the service's configuration)."""

    bot_username: str | None = None
    bot_user_id: int | None = None


Handler = Callable[[Event, Context], Iterable["Action | CommandComment"]]


def ignore_reason(event: Event, context: Context) -> str | None:
    """Why an event must not reach any handler, or None."""
    actor = event.actor
    if actor and context.bot_username and actor.username == context.bot_username:
        return "caused by the bot's own user"
    if actor and context.bot_user_id is not None and actor.id == context.bot_user_id:
        return "caused by the bot's own user"
    if event.kind == "Note Hook":
        if event.attributes.get("system"):
            return "system note"
        if event.action == "update":
            return "comment edit"
    return None


class Router:
    def __init__(self, *others: Router) -> None:
        self._handlers: dict[tuple[str, str | None], list[Handler]] = defaultdict(list)
        for other in others:
            self.include(other)

    def register(self, kind: str, action: str | None = None) -> Callable[[Handler], Handler]:
        """Decorator: call the handler for events of `kind` (and `action`, when given)."""

        def decorate(handler: Handler) -> Handler:
            self._handlers[(kind, action)].append(handler)
            return handler

        return decorate

    def include(self, other: Router) -> None:
        for route, handlers in other._handlers.items():
            self._handlers[route].extend(handlers)

    def handlers_for(self, event: Event) -> list[Handler]:
        found = list(self._handlers.get((event.kind, None), ()))
        if event.action is not None:
            found.extend(self._handlers.get((event.kind, event.action), ()))
        return found

    def dispatch(self, event: Event, context: Context) -> list[Action | CommandComment]:
        """Every action the registered handlers decide for this event, in registration order."""
        if ignore_reason(event, context):
            return []
        actions: list[Action | CommandComment] = []
        for handler in self.handlers_for(event):
            actions.extend(handler(event, context))
        return actions
