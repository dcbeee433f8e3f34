"""Issue description templates: one Markdown file each, found by its path.

A file the bot made carries its ownership marker and is updated only while its text is still
what the bot wrote. A file that was there first (no marker) is a person's: it is neither
adopted nor rewritten, since adopting would mean committing to it; any difference is kept.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine.plan import Operation
from bot.engine.reconcilers.base import Context, Reconciler
from bot.playbook.blueprint import Blueprint, IssueTemplate


class Templates(Reconciler[IssueTemplate]):
    kind = "template"

    def desired(self, blueprint: Blueprint) -> tuple[IssueTemplate, ...]:
        return blueprint.templates

    def fields(self, obj: IssueTemplate, ctx: Context) -> dict[str, object]:
        return {"description": obj.body.strip()}

    def references(
        self, obj: IssueTemplate, ctx: Context
    ) -> tuple[str | None, str | None, tuple[str, ...]]:
        return None, None, obj.labels  # made after its labels, so its `/label` finds them

    def reconcile(self, obj: IssueTemplate, ctx: Context) -> Operation:
        op = super().reconcile(obj, ctx)
        if op.op != "adopt":
            return op
        return replace(op, op="unchanged", changes={}, kept={**op.kept, **op.changes}, body=None)
