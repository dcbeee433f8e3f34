"""Time-boxes (phases, sprints, waves) as GitLab milestones, with their dates."""

from __future__ import annotations

from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, TimeBox


class Milestones(Reconciler[TimeBox]):
    kind = "milestone"

    def desired(self, blueprint: Blueprint) -> tuple[TimeBox, ...]:
        return blueprint.timeboxes

    def fields(self, obj: TimeBox, ctx: Context) -> dict[str, object]:
        return {
            "title": obj.title,
            "description": obj.description.strip(),
            "start_date": obj.start_date.isoformat() if obj.start_date else None,
            "due_date": obj.due_date.isoformat() if obj.due_date else None,
        }
