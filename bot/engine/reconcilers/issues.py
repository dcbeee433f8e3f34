"""Issues: stories, tasks, retrospectives, status and RAID entries, each under its epic."""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.port import LiveObject
from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, Issue


class Issues(Reconciler[Issue]):
    kind = "issue"

    def desired(self, blueprint: Blueprint) -> tuple[Issue, ...]:
        return blueprint.issues

    def fields(self, obj: Issue, ctx: Context) -> dict[str, object]:
        found: dict[str, object] = {
            "title": obj.title,
            "description": obj.description.strip(),
            "labels": tuple(sorted(obj.labels)),
            "milestone": obj.milestone,
            "weight": obj.weight,
            "confidential": obj.confidential,
        }
        if obj.assignees:  # only where the role has people: nobody else's issue changes
            found["assignees"] = tuple(sorted(obj.assignees))
        return found

    def depends(self, obj: Issue, ctx: Context) -> tuple[str, ...]:
        """The issue before it in the blueprint (phase order): issues are created one after
        another in that order, so GitLab's numbers read as the engagement runs."""
        keys = [i.key for i in ctx.blueprint.issues]
        at = keys.index(obj.key) if obj.key in keys else 0
        return (keys[at - 1],) if at > 0 else ()

    def references(
        self, obj: Issue, ctx: Context
    ) -> tuple[str | None, str | None, tuple[str, ...]]:
        return obj.epic, obj.milestone, obj.labels

    def live_fields(self, live: LiveObject, ctx: Context) -> Mapping[str, object]:
        return {**live.fields, "milestone": ctx.key_of("milestone", live.fields.get("milestone"))}
