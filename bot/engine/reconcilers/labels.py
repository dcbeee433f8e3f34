"""Labels: matched by name, the project's own or inherited from a group; created, never rewritten.

A label has no room for an ownership marker, so once it exists (whoever made it) the bot
leaves its colour and description alone and reports any difference as kept.
"""

from __future__ import annotations

from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, Label


class Labels(Reconciler):
    kind = "label"
    marked = False

    def desired(self, blueprint: Blueprint) -> tuple[Label, ...]:
        return blueprint.labels

    def title(self, obj: Label) -> str:  # type: ignore[override]
        return obj.name

    def fields(self, obj: Label, ctx: Context) -> dict[str, object]:  # type: ignore[override]
        return {"color": obj.color.lower(), "description": obj.description}

    def find(self, obj: Label, ctx: Context):  # type: ignore[override]
        same = [live for live in ctx.live.of_kind("label") if live.title == obj.name]
        own = [live for live in same if not live.inherited]
        return (own or same or [None])[0]

    def compare(self, want, have, marker):
        kept = {name: (have.get(name), v) for name, v in want.items() if have.get(name) != v}
        return {}, kept
