"""Issue boards, matched by name; the bot adds missing label lists, never removes or reorders.

A board's scope labels (a Premium feature) are set when the board has none; a scope a person
chose is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.marker import Marker
from bot.engine.port import LiveObject
from bot.engine.reconcilers.base import Changes, Context, Reconciler
from bot.playbook.blueprint import Blueprint, Board


class Boards(Reconciler[Board]):
    kind = "board"
    marked = False

    def desired(self, blueprint: Blueprint) -> tuple[Board, ...]:
        return blueprint.boards

    def fields(self, obj: Board, ctx: Context) -> dict[str, object]:
        return {"lists": obj.lists, "labels": tuple(sorted(obj.labels))}

    def references(
        self, obj: Board, ctx: Context
    ) -> tuple[str | None, str | None, tuple[str, ...]]:
        return None, None, tuple(dict.fromkeys((*obj.lists, *obj.labels)))

    def find(self, obj: Board, ctx: Context) -> LiveObject | None:
        return next((live for live in ctx.live.of_kind("board") if live.title == obj.name), None)

    def compare(
        self, want: Mapping[str, object], have: Mapping[str, object], marker: Marker | None
    ) -> tuple[Changes, Changes]:
        changes: Changes = {}
        kept: Changes = {}
        lists = _names(have.get("lists"))
        missing = tuple(name for name in _names(want["lists"]) if name not in lists)
        if missing:
            changes["lists"] = (lists, lists + missing)
        scope = _names(have.get("labels"))
        if "labels" in want and scope != want["labels"]:
            (kept if scope else changes)["labels"] = (scope, want["labels"])
        return changes, kept


def _names(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, tuple | list) else ()
