"""Phase and workstream epics: work items, legacy epics, or parent issues on Free."""

from __future__ import annotations

from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, Epic


class Epics(Reconciler):
    kind = "epic"

    def desired(self, blueprint: Blueprint) -> tuple[Epic, ...]:
        """Parents before children, whatever order the playbook lists them in."""
        ordered: list[Epic] = []
        pending = list(blueprint.epics)
        while pending:
            placed = {epic.key for epic in ordered}
            ready = [e for e in pending if e.parent is None or e.parent in placed]
            if not ready:
                ready = pending[:1]
            for epic in ready:
                ordered.append(epic)
                pending.remove(epic)
        return tuple(ordered)

    def fields(self, obj: Epic, ctx: Context) -> dict[str, object]:  # type: ignore[override]
        return {
            "title": obj.title,
            "description": obj.description.strip(),
            "labels": tuple(sorted(obj.labels)),
        }

    def references(self, obj: Epic) -> tuple[str | None, str | None, tuple[str, ...]]:  # type: ignore[override]
        return obj.parent, None, obj.labels
