"""Labels (`bot/engine/reconcilers/labels.py`): the project's own and its groups', read in one
list; created in the project, or in the group where epics are group epics (a group epic can
only carry group labels); never rewritten once they exist."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import gitlab

from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.rest import create_once, enc, every, get, post


class LabelStore:
    def __init__(self, ctx: ProjectContext) -> None:
        self.ctx = ctx
        self._own_labels = threading.Lock()

    def read(self) -> list[LiveObject]:
        """Every label the project sees (`include_ancestor_groups`), its own first; each name's
        id is remembered for boards and work items."""
        ctx = self.ctx
        found = []
        labels = every(ctx.rest, f"/projects/{ctx.address}/labels", include_ancestor_groups=True)
        for label in sorted(
            labels, key=lambda lb: (not lb.get("is_project_label", True), lb["id"])
        ):
            ctx.index.labels.setdefault(label["name"], label["id"])
            fields = {
                "color": str(label["color"]).lower(),
                "description": label.get("description") or "",
            }
            inherited = not label.get("is_project_label", True)
            found.append(
                LiveObject("label", str(label["id"]), label["name"], fields, None, inherited)
            )
        return found

    def write(self, op: Operation, owner: str, description: str | None = None) -> int:
        """Create the label under `owner` (`/projects/:id` or `/groups/:id`); one that exists
        already (409) is found instead."""
        data = {"name": op.title, **op.fields}
        if description is not None:
            data["description"] = description
        try:
            label = create_once(
                lambda: post(self.ctx.rest, f"{owner}/labels", data),
                lambda: self._find(op.title),
            )
        except gitlab.GitlabHttpError as error:
            if error.response_code != 409:
                raise
            label = {"id": self.id_of(op.title)}
        self.ctx.index.label(op.title, int(label["id"]))
        return int(label["id"])

    def ensure_in_group(self, name: str, color: str, description: str) -> int:
        """A group label the adapter itself needs, found or created once (one thread makes it
        while the others wait, rather than each trying and meeting 409)."""
        with self._own_labels:
            if name not in self.ctx.index.labels:
                op = Operation("create", "label", f"label:{name}", name, {"color": color})
                self.write(op, f"/groups/{self.ctx.group_id}", description=description)
        return self.ctx.index.labels[name]

    def id_of(self, name: str) -> int:
        """The id of the label `name` the project sees, asked of GitLab if not read yet."""
        ctx = self.ctx
        if name not in ctx.index.labels:
            label = get(
                ctx.rest,
                f"/projects/{ctx.pid}/labels/{enc(name)}",
                query_data={"include_ancestor_groups": True},
            )
            ctx.index.label(name, label["id"])
        return ctx.index.labels[name]

    def gids(self, names: Iterable[str]) -> list[str]:
        """The labels' GraphQL global ids, as work-item widgets take them."""
        return [f"gid://gitlab/Label/{self.id_of(name)}" for name in sorted(names)]

    def _find(self, name: str) -> dict[str, Any] | None:
        try:
            return {"id": self.id_of(name)}
        except gitlab.GitlabHttpError as error:
            if error.response_code == 404:
                return None
            raise
