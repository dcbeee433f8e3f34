"""Labels: matched by name, the project's own or inherited from a group; created, never rewritten.

A label has no room for an ownership marker, so once it exists (whoever made it) the bot
leaves its colour and description alone and reports any difference as kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.marker import Marker
from bot.engine.port import LiveObject
from bot.engine.reconcilers.base import Changes, Context, Reconciler
from bot.playbook.blueprint import Blueprint, Label


class Labels(Reconciler[Label]):
    kind = "label"
    marked = False

    def desired(self, blueprint: Blueprint) -> tuple[Label, ...]:
        return blueprint.labels

    def fields(self, obj: Label, ctx: Context) -> dict[str, object]:
        return {"color": obj.color.lower(), "description": obj.description}

    def find(self, obj: Label, ctx: Context) -> LiveObject | None:
        same = [live for live in ctx.live.of_kind("label") if live.title == obj.name]
        own = [live for live in same if not live.inherited]
        return next(iter(own or same), None)

    def compare(
        self, want: Mapping[str, object], have: Mapping[str, object], marker: Marker | None
    ) -> tuple[Changes, Changes]:
        kept: Changes = {
            name: (have.get(name), v) for name, v in want.items() if have.get(name) != v
        }
        return {}, kept
