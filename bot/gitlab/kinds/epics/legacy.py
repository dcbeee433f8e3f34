"""Epics through the deprecated but working `/groups/:id/epics` REST API (GitLab before 18.1)."""

from __future__ import annotations

from typing import Any

from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.errors import Rejected
from bot.gitlab.index import EpicHandle
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.kinds.epics.store import EpicStore, belongs, made_for
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.rest import create_once, every, post, put
from bot.playbook.blueprint import Blueprint


class LegacyEpics(EpicStore):
    """Epics through the deprecated but working `/groups/:id/epics` REST API (before 18.1).

    Listed without subgroups (`include_descendant_groups=false`, `GL:doc/api/epics.md`): epic
    iids are per group, and the bot's epics live in the project's own group.
    """

    mode = "legacy"

    def __init__(
        self, ctx: ProjectContext, labels: LabelStore, epics: list[dict[str, Any]]
    ) -> None:
        super().__init__(ctx, labels)
        group = ctx.group_id
        self.epics = [
            epic
            for epic in epics
            if belongs(epic, ctx.pid) and epic.get("group_id", group) == group
        ]

    @property
    def base(self) -> str:
        return f"/groups/{self.ctx.group_id}/epics"

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        ordered = sorted(self.epics, key=lambda e: e["iid"])
        for epic in ordered:
            self.ctx.index.epic(EpicHandle(epic["iid"], legacy_id=epic["id"]))
        return [self.rest_epic(epic, epic.get("parent_iid")) for epic in ordered]

    def issue_fields(self, parent: str) -> dict[str, Any]:
        return {"epic_id": self._legacy_id(parent)}

    def _legacy_id(self, ref: str) -> int:
        handle = self.ctx.index.epics.get(str(ref))
        if handle is None or handle.legacy_id is None:
            raise Rejected(f"epic &{ref} is not known here: run apply again")
        return handle.legacy_id

    def write(self, op: Operation) -> str:
        ctx = self.ctx
        data: dict[str, Any] = {}
        parent = op.parent if op.op == "create" or "parent" in op.changes else None
        description = self.description(op)
        if description is not None:
            data["description"] = description
        if op.op == "create" or "title" in op.changes:
            data["title"] = op.title
        extra = self.engagement_labels(op.ref)
        if op.op == "create" or "labels" in op.changes or extra:
            data["labels"] = ",".join([*op.labels, *extra])
        if parent and self.nested:
            data["parent_id"] = self._legacy_id(ctx.ref(parent))
        if op.op == "create":
            epic = create_once(
                lambda: post(ctx.rest, self.base, data),
                lambda: self._find(op),
            )
        elif data:
            epic = put(ctx.rest, f"{self.base}/{op.ref}", data)
        else:
            epic = {"iid": int(str(op.ref)), "id": self._legacy_id(str(op.ref))}
        ctx.index.epic(EpicHandle(epic["iid"], legacy_id=epic["id"]))
        return str(epic["iid"])

    def _find(self, op: Operation) -> dict[str, Any] | None:
        epics = every(self.ctx.rest, self.base, search=op.title, include_descendant_groups=False)
        return next((epic for epic in epics if made_for(epic, op.key, self.ctx.pid)), None)
