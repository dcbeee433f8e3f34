"""Issues (`bot/engine/reconcilers/issues.py`): every project issue in one list; each created
in one call with all its fields, its epic included where the tier allows, and found again by
its marker after a lost answer.

Where an issue's epic goes depends on the tier; the issue store asks an `EpicPlacement` (the
project's epic store, `bot/gitlab/kinds/epics/`) rather than knowing the modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

import gitlab

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.rest import create_once, every, post, put


class EpicPlacement(Protocol):
    """How an issue is put under its epic and read back there (the epic store of the tier)."""

    def parent_of(self, issue: Mapping[str, Any]) -> str | None: ...

    def issue_fields(self, parent: str) -> dict[str, Any]: ...

    def create_linked(self, op: Operation, parent: str) -> tuple[int, int] | None: ...

    def link(self, issue_iid: int, parent: str) -> None: ...


class IssueStore:
    def __init__(self, ctx: ProjectContext) -> None:
        self.ctx = ctx
        self._user_ids: dict[str, int | None] = {}

    def user_ids(self, usernames: Sequence[str]) -> list[int]:
        """The ids of these users (`GET /users?username=`), each asked once; users GitLab does
        not know are left out (the plan names them, nobody is assigned in their place)."""
        found = []
        for name in usernames:
            if name not in self._user_ids:
                users = self.ctx.rest.http_list("/users", query_data={"username": name})
                match = next(
                    (u for u in users if str(u.get("username", "")).lower() == name.lower()),
                    None,
                )
                self._user_ids[name] = int(match["id"]) if match else None
            user_id = self._user_ids[name]
            if user_id is not None:
                found.append(user_id)
        return found

    def read(self) -> list[dict[str, Any]]:
        """Every issue of the project, open and closed, as the REST API answers them (the epic
        store picks its parent issues from them on Free; `live` turns the rest into objects)."""
        return every(self.ctx.rest, f"/projects/{self.ctx.address}/issues", state="all")

    def live(self, issue: Mapping[str, Any], epics: EpicPlacement) -> LiveObject:
        """The issue as the engine compares it, its epic read through `epics`."""
        text, marker = parse(issue.get("description"))
        milestone = issue.get("milestone")
        fields = {
            "title": issue["title"],
            "description": text,
            "labels": tuple(sorted(issue.get("labels") or ())),
            "milestone": str(milestone["id"]) if milestone else None,
            "weight": issue.get("weight"),
            "confidential": bool(issue.get("confidential")),
            "assignees": tuple(sorted(a["username"] for a in issue.get("assignees") or ())),
            "parent": epics.parent_of(issue),
        }
        return LiveObject("issue", str(issue["iid"]), issue["title"], fields, marker)

    def write(self, op: Operation, epics: EpicPlacement) -> tuple[int, int | None]:
        """Create or update a project issue (a Free epic is one too), under its epic if any;
        answers the issue's iid and, when it was created, its id."""
        ctx = self.ctx
        path = f"/projects/{ctx.pid}/issues"
        wanted = op.fields if op.op == "create" else {n: new for n, (_, new) in op.changes.items()}
        data: dict[str, Any] = {}
        if op.op == "create" or "title" in wanted:
            data["title"] = op.title
        if op.body is not None:
            data["description"] = op.body
        if "labels" in wanted:
            data["labels"] = ",".join(wanted["labels"])  # type: ignore[arg-type]
        if "milestone" in wanted:
            data["milestone_id"] = (
                int(ctx.ref(str(wanted["milestone"]))) if wanted["milestone"] else 0
            )
        for name in ("weight", "confidential"):
            if name in wanted and wanted[name] is not None:
                data[name] = wanted[name]
        if "assignees" in wanted:
            data["assignee_ids"] = self.user_ids(cast(Sequence[str], wanted["assignees"]))
        parent = op.parent if (op.op == "create" or "parent" in op.changes) else None
        if parent:
            data.update(epics.issue_fields(ctx.ref(parent)))
        issue_id = None
        if op.op == "create":
            linked = epics.create_linked(op, ctx.ref(parent)) if parent else None
            if linked is not None:
                return linked
            issue = create_once(
                lambda: post(ctx.rest, path, data),
                lambda: self.find(op),
            )
            iid, issue_id = issue["iid"], issue["id"]
        else:
            iid = int(str(op.ref))
            if data:
                put(ctx.rest, f"{path}/{iid}", data)
        if parent:
            epics.link(iid, ctx.ref(parent))
        return iid, issue_id

    def find(self, op: Operation) -> dict[str, Any] | None:
        """The issue the bot made for `op` (its marker carries the key), if GitLab has it."""
        issues = every(
            self.ctx.rest, f"/projects/{self.ctx.pid}/issues", search=op.title, state="all"
        )
        for issue in issues:
            marker = parse(issue.get("description"))[1]
            if marker and marker.key == op.key:
                return issue
        return None

    def links(self, iid: int) -> list[dict[str, Any]]:
        """The issues linked to issue `iid`."""
        return every(self.ctx.rest, f"/projects/{self.ctx.pid}/issues/{iid}/links")

    def relate(self, issue_iid: int, parent_iid: int) -> None:
        """Link an issue to its Free parent issue; an existing link counts as done."""
        pid = self.ctx.pid
        data = {"target_project_id": pid, "target_issue_iid": parent_iid}

        def find() -> dict[str, Any] | None:
            return next((i for i in self.links(issue_iid) if i["iid"] == parent_iid), None)

        try:
            create_once(
                lambda: post(self.ctx.rest, f"/projects/{pid}/issues/{issue_iid}/links", data),
                find,
            )
        except gitlab.GitlabHttpError as error:
            if error.response_code != 409:
                raise
