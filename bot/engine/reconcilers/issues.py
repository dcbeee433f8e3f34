"""Issues: stories, tasks, retrospectives, status and RAID entries, each under its epic."""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.port import LiveObject
from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, Issue


class Issues(Reconciler):
    kind = "issue"

    def desired(self, blueprint: Blueprint) -> tuple[Issue, ...]:
        return blueprint.issues

    def fields(self, obj: Issue, ctx: Context) -> dict[str, object]:  # type: ignore[override]
        return {
            "title": obj.title,
            "description": obj.description.strip(),
            "labels": tuple(sorted(obj.labels)),
            "milestone": obj.milestone,
            "weight": obj.weight,
            "confidential": obj.confidential,
        }

    def references(self, obj: Issue) -> tuple[str | None, str | None, tuple[str, ...]]:  # type: ignore[override]
        return obj.epic, obj.milestone, obj.labels

    def live_fields(self, live: LiveObject, ctx: Context) -> Mapping[str, object]:
        return {**live.fields, "milestone": ctx.key_of("milestone", live.fields.get("milestone"))}
