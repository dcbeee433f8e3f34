"""Issue boards, matched by name; the bot adds missing label lists, never removes or reorders.

A board's scope labels (a Premium feature) are set when the board has none; a scope a person
chose is kept.
"""

from __future__ import annotations

from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, Board


class Boards(Reconciler):
    kind = "board"
    marked = False

    def desired(self, blueprint: Blueprint) -> tuple[Board, ...]:
        return blueprint.boards

    def title(self, obj: Board) -> str:  # type: ignore[override]
        return obj.name

    def fields(self, obj: Board, ctx: Context) -> dict[str, object]:  # type: ignore[override]
        return {"lists": obj.lists, "labels": tuple(sorted(obj.labels))}

    def references(self, obj: Board) -> tuple[str | None, str | None, tuple[str, ...]]:  # type: ignore[override]
        return None, None, tuple(dict.fromkeys((*obj.lists, *obj.labels)))

    def find(self, obj: Board, ctx: Context):  # type: ignore[override]
        return next((live for live in ctx.live.of_kind("board") if live.title == obj.name), None)

    def compare(self, want, have, marker):
        changes, kept = {}, {}
        lists = tuple(have.get("lists", ()))
        missing = tuple(name for name in want["lists"] if name not in lists)
        if missing:
            changes["lists"] = (lists, lists + missing)
        scope = tuple(have.get("labels", ()))
        if "labels" in want and scope != want["labels"]:
            (kept if scope else changes)["labels"] = (scope, want["labels"])
        return changes, kept
