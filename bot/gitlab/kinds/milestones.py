"""Milestones (`bot/engine/reconcilers/milestones.py`): the project's own and its groups', read
in one list; only the project's own are created and updated.

A group milestone is read, closed and listed through its group: `GET
/projects/:id/milestones/:milestone_id/issues` takes "the ID of a project milestone", while a
group milestone (listed with `include_ancestors`, it carries `group_id`) lives under
`/groups/:id/milestones/...` (`GL:doc/api/milestones.md`, `GL:doc/api/group_milestones.md`,
verified.md 3.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gitlab

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.rest import create_once, enc, every, post, put


def milestone_path(project: int | str, milestone: Mapping[str, Any]) -> str:
    """The REST path of `milestone` as a milestone list answered it."""
    if milestone.get("group_id"):
        return f"/groups/{milestone['group_id']}/milestones/{milestone['id']}"
    return f"/projects/{enc(project)}/milestones/{milestone['id']}"


class MilestoneStore:
    def __init__(self, ctx: ProjectContext) -> None:
        self.ctx = ctx

    def read(self) -> list[LiveObject]:
        """Every milestone the project sees (`include_ancestors`); a group's is `inherited`."""
        found = []
        milestones = every(
            self.ctx.rest, f"/projects/{self.ctx.address}/milestones", include_ancestors=True
        )
        for milestone in sorted(milestones, key=lambda m: m["id"]):
            text, marker = parse(milestone.get("description"))
            fields = {
                "title": milestone["title"],
                "description": text,
                "start_date": milestone.get("start_date"),
                "due_date": milestone.get("due_date"),
            }
            inherited = milestone.get("group_id") is not None
            ref = str(milestone["id"])
            found.append(
                LiveObject("milestone", ref, milestone["title"], fields, marker, inherited)
            )
        return found

    def write(self, op: Operation) -> int:
        data: dict[str, Any] = {name: new for name, (_, new) in op.changes.items()}
        if op.op == "create":
            data = {name: value for name, value in op.fields.items() if value is not None}
        if op.body is not None:
            data["description"] = op.body
        path = f"/projects/{self.ctx.pid}/milestones"
        if op.op != "create":  # a group milestone is never written: only the project's own
            return int(put(self.ctx.rest, f"{path}/{op.ref}", data)["id"])
        try:
            return int(
                create_once(
                    lambda: post(self.ctx.rest, path, data),
                    lambda: self._find(op.title),
                )["id"]
            )
        except gitlab.GitlabHttpError as error:  # 400: the title is taken (by a group's)
            found = self._find(op.title) if error.response_code == 400 else None
            if found is None:
                raise
            return int(found["id"])

    def _find(self, title: str) -> dict[str, Any] | None:
        milestones = every(
            self.ctx.rest,
            f"/projects/{self.ctx.pid}/milestones",
            title=title,
            include_ancestors=True,
        )
        return next((m for m in milestones if m["title"] == title), None)
