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
        """The issues of the phase before its own (the blueprint lists issues in the order the
        engagement runs): a phase's issues are created side by side once the phase before
        has all of its own, so GitLab's numbers follow the phases at little cost in time
        (bench/scaffold.py: 0.19 of a sequential script's wall time)."""
        steps: list[list[str]] = []
        at: str | None = None
        for issue in ctx.blueprint.issues:
            if not steps or issue.phase != at:
                steps.append([])
                at = issue.phase
            steps[-1].append(issue.key)
            if issue.key == obj.key:
                return tuple(steps[-2]) if len(steps) > 1 else ()
        return ()

    def references(
        self, obj: Issue, ctx: Context
    ) -> tuple[str | None, str | None, tuple[str, ...]]:
        return obj.epic, obj.milestone, obj.labels

    def live_fields(self, live: LiveObject, ctx: Context) -> Mapping[str, object]:
        return {**live.fields, "milestone": ctx.key_of("milestone", live.fields.get("milestone"))}
