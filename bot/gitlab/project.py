"""The adapter: one GitLab project and its parent group, seen through the engine's Port.

Reads cost a fixed number of requests (every list at 100 per page); each create is one call
with all its fields (an issue's epic included where the tier allows) and is find-or-create.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gitlab

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import LiveObject, LiveState
from bot.gitlab.capabilities import Capabilities, detect
from bot.gitlab.connection import Connection
from bot.gitlab.epics import EpicStore, IssueEpics, LegacyEpics, WorkItemEpics
from bot.gitlab.errors import GitLabError, Rejected, RoleTooLow, explain
from bot.gitlab.index import Index
from bot.gitlab.rest import create_once, enc, every, first_contact, get, post, put
from bot.playbook.blueprint import Blueprint

DEVELOPER = 30
READERS = 4
"""Lists read in parallel at the start of a run."""


class GitLabProject:
    """Port for one project: `read_live` first, then `perform` each operation of the plan."""

    def __init__(self, conn: Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self.rest = conn.rest
        self.index = Index()
        self.info: dict[str, Any] = {}
        self.live: LiveState | None = None
        self._epics: EpicStore | None = None
        self._own_labels = threading.Lock()

    @property
    def epics(self) -> EpicStore:
        """Where this project's epics live (read with the live state; Free issues until then)."""
        if self._epics is None:
            self._epics = IssueEpics(self)
        return self._epics

    @property
    def capabilities(self) -> Capabilities:
        """What the instance can do for this project's group: read once per client and group."""
        client = self.conn.client
        group = self.group_id
        with client.lock:
            if group not in client.capabilities:
                try:
                    client.capabilities[group] = detect(self.rest, group, self.pid)
                except Exception as error:
                    raise self._fail(error, "reading what this GitLab can do") from None
            return client.capabilities[group]

    def _fail(self, error: Exception, doing: str) -> GitLabError:
        return explain(error, url=self.conn.url, project=self.path, doing=doing)

    # -- the project and its group ------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        if not self.info:
            try:
                path = f"/projects/{enc(self.path)}"
                self.info = first_contact(
                    lambda: get(self.rest, path, retry_transient_errors=False)
                )
            except Exception as error:
                raise self._fail(error, f"reading project {self.path}") from None
        return self.info

    @property
    def pid(self) -> int:
        return int(self.load()["id"])

    @property
    def group_id(self) -> int | None:
        namespace = self.load()["namespace"]
        return int(namespace["id"]) if namespace.get("kind") == "group" else None

    @property
    def group_path(self) -> str:
        return str(self.load()["namespace"]["full_path"])

    def check_writable(self) -> None:
        """Fail early, before any write, when the token's role cannot change the project."""
        permissions = self.load().get("permissions") or {}
        levels = [
            (permissions.get(scope) or {}).get("access_level") or 0
            for scope in ("project_access", "group_access")
        ]
        if any(levels) and max(levels) < DEVELOPER:
            raise RoleTooLow(
                f"the token's user has too low a role in {self.path} to apply a playbook: it "
                "needs at least Developer in the project (and Planner or Reporter in the group "
                "for epics); ask a project Maintainer to raise it"
            )

    # -- reading ------------------------------------------------------------------------------

    def read_live(self, blueprint: Blueprint | None = None) -> LiveState:
        try:
            return self._read(blueprint)
        except GitLabError:
            raise
        except Exception as error:
            raise self._fail(error, f"reading the live state of {self.path}") from None

    def _read(self, blueprint: Blueprint | None) -> LiveState:
        self.load()
        capabilities = self.capabilities
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            epics = pool.submit(self._detect)
            labels, milestones, boards = (
                pool.submit(self._labels),
                pool.submit(self._milestones),
                pool.submit(self._boards),
            )
            issues = pool.submit(every, self.rest, f"/projects/{self.pid}/issues", state="all")
            self._epics = epics.result()
            listed = sorted(issues.result(), key=lambda issue: issue["iid"])
            objects = [
                *labels.result(),
                *milestones.result(),
                *self.epics.read(listed, blueprint),
                *(self._issue(issue) for issue in listed if not self.epics.owns(issue)),
                *boards.result(),
            ]
        for obj in objects:
            if obj.marker and obj.marker.key not in self.index.refs:
                self.index.remember(obj.marker.key, obj.ref)
        if blueprint is not None:  # a group milestone is used unmarked: known by its title
            shared = {o.title: o.ref for o in objects if o.kind == "milestone" and o.inherited}
            for timebox in blueprint.timeboxes:
                if timebox.key not in self.index.refs and timebox.title in shared:
                    self.index.remember(timebox.key, shared[timebox.title])
        self.live = LiveState(
            tuple(objects),
            self.epics.mode,
            self.epics.unsupported | capabilities.unsupported,
            scope=self.pid,
            nested_epics=self.epics.nested,
            instance=capabilities.to_json(),
        )
        return self.live

    def _detect(self) -> EpicStore:
        """Where the capabilities say epics live: work items (18.1+), legacy REST epics, or
        (Free, or a project without a group) parent issues."""
        mode = self.capabilities.epic_mode
        if self.group_id is None or mode == "issues":
            return IssueEpics(self)
        if mode == "work_items":
            store = WorkItemEpics.probe(self)
            if store is not None:
                return store
        path = f"/groups/{self.group_id}/epics"
        try:
            return LegacyEpics(self, every(self.rest, path, include_descendant_groups=False))
        except gitlab.GitlabHttpError as error:
            if error.response_code in (403, 404):  # the tier was misread: epics are not here
                return IssueEpics(self)
            raise

    def _labels(self) -> list[LiveObject]:
        found = []
        labels = every(self.rest, f"/projects/{self.pid}/labels", include_ancestor_groups=True)
        for label in sorted(
            labels, key=lambda lb: (not lb.get("is_project_label", True), lb["id"])
        ):
            self.index.labels.setdefault(label["name"], label["id"])
            fields = {
                "color": str(label["color"]).lower(),
                "description": label.get("description") or "",
            }
            inherited = not label.get("is_project_label", True)
            found.append(
                LiveObject("label", str(label["id"]), label["name"], fields, None, inherited)
            )
        return found

    def _milestones(self) -> list[LiveObject]:
        found = []
        milestones = every(self.rest, f"/projects/{self.pid}/milestones", include_ancestors=True)
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

    def _issue(self, issue: dict[str, Any]) -> LiveObject:
        text, marker = parse(issue.get("description"))
        milestone = issue.get("milestone")
        fields = {
            "title": issue["title"],
            "description": text,
            "labels": tuple(sorted(issue.get("labels") or ())),
            "milestone": str(milestone["id"]) if milestone else None,
            "weight": issue.get("weight"),
            "confidential": bool(issue.get("confidential")),
            "parent": self.epics.parent_of(issue),
        }
        return LiveObject("issue", str(issue["iid"]), issue["title"], fields, marker)

    def _boards(self) -> list[LiveObject]:
        found = []
        for board in sorted(
            every(self.rest, f"/projects/{self.pid}/boards"), key=lambda b: b["id"]
        ):
            lists = sorted(board.get("lists") or [], key=lambda item: item.get("position") or 0)
            names = tuple(item["label"]["name"] for item in lists if item.get("label"))
            scope = tuple(sorted(label["name"] for label in board.get("labels") or ()))
            fields = {"lists": names, "labels": scope}
            found.append(LiveObject("board", str(board["id"]), board["name"], fields))
        return found

    def links(self, iid: int) -> list[dict[str, Any]]:
        return every(self.rest, f"/projects/{self.pid}/issues/{iid}/links")

    # -- writing ------------------------------------------------------------------------------

    def perform(self, op: Operation) -> str:
        writer = {
            "label": self._write_label,
            "milestone": self._write_milestone,
            "epic": self.epics.write,
            "issue": self.write_issue,
            "board": self._write_board,
        }[op.kind]
        try:
            ref = str(writer(op))
        except GitLabError:
            raise
        except Exception as error:
            raise self._fail(error, f"trying to {op.op} {op.kind} {op.title!r}") from None
        self.index.remember(op.key, ref)
        return ref

    def ref(self, key: str) -> str:
        """The live ref of a blueprint key; a fresh adapter (a resumed step) reads GitLab first."""
        if key not in self.index.refs and self.live is None:
            self._read(None)
        if key not in self.index.refs:
            raise Rejected(f"{key} does not exist in {self.path} yet: run apply again")
        return self.index.refs[key]

    def label_gids(self, names: Iterable[str]) -> list[str]:
        return [f"gid://gitlab/Label/{self._label_id(name)}" for name in sorted(names)]

    def _label_id(self, name: str) -> int:
        if name not in self.index.labels:
            label = get(
                self.rest,
                f"/projects/{self.pid}/labels/{enc(name)}",
                query_data={"include_ancestor_groups": True},
            )
            self.index.label(name, label["id"])
        return self.index.labels[name]

    def ensure_group_label(self, name: str, color: str, description: str) -> int:
        """A group label the adapter itself needs, found or created once (one thread makes it
        while the others wait, rather than each trying and meeting 409)."""
        with self._own_labels:
            if name not in self.index.labels:
                op = Operation("create", "label", f"label:{name}", name, {"color": color})
                self._write_label(op, description=description)
        return self.index.labels[name]

    def _write_label(self, op: Operation, description: str | None = None) -> int:
        owner = (
            f"/groups/{self.group_id}" if self.epics.mode != "issues" else f"/projects/{self.pid}"
        )
        data = {"name": op.title, **op.fields}
        if description is not None:
            data["description"] = description
        try:
            label = create_once(
                lambda: post(self.rest, f"{owner}/labels", data),
                lambda: self._find_label(op.title),
            )
        except gitlab.GitlabHttpError as error:
            if error.response_code != 409:
                raise
            label = {"id": self._label_id(op.title)}
        self.index.label(op.title, int(label["id"]))
        return int(label["id"])

    def _find_label(self, name: str) -> dict[str, Any] | None:
        try:
            return {"id": self._label_id(name)}
        except gitlab.GitlabHttpError as error:
            if error.response_code == 404:
                return None
            raise

    def _write_milestone(self, op: Operation) -> int:
        data: dict[str, Any] = {name: new for name, (_, new) in op.changes.items()}
        if op.op == "create":
            data = {name: value for name, value in op.fields.items() if value is not None}
        if op.body is not None:
            data["description"] = op.body
        path = f"/projects/{self.pid}/milestones"
        if op.op != "create":  # a group milestone is never written: only the project's own
            return int(put(self.rest, f"{path}/{op.ref}", data)["id"])
        try:
            return int(
                create_once(
                    lambda: post(self.rest, path, data),
                    lambda: self._find_milestone(op.title),
                )["id"]
            )
        except gitlab.GitlabHttpError as error:
            found = self._find_milestone(op.title) if error.response_code == 400 else None
            if found is None:
                raise
            return int(found["id"])

    def _find_milestone(self, title: str) -> dict[str, Any] | None:
        milestones = every(
            self.rest, f"/projects/{self.pid}/milestones", title=title, include_ancestors=True
        )
        return next((m for m in milestones if m["title"] == title), None)

    def write_issue(self, op: Operation) -> int:
        """Create or update a project issue (a Free epic is one too), under its epic if any."""
        return self.put_issue(op)[0]

    def put_issue(self, op: Operation) -> tuple[int, int | None]:
        """`write_issue`, answering the issue's iid and, when it was created, its id."""
        path = f"/projects/{self.pid}/issues"
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
                int(self.ref(str(wanted["milestone"]))) if wanted["milestone"] else 0
            )
        for name in ("weight", "confidential"):
            if name in wanted and wanted[name] is not None:
                data[name] = wanted[name]
        parent = op.parent if (op.op == "create" or "parent" in op.changes) else None
        if parent:
            data.update(self.epics.issue_fields(self.ref(parent)))
        issue_id = None
        if op.op == "create":
            linked = self.epics.create_linked(op, self.ref(parent)) if parent else None
            if linked is not None:
                return linked
            issue = create_once(
                lambda: post(self.rest, path, data),
                lambda: self.find_issue(op),
            )
            iid, issue_id = issue["iid"], issue["id"]
        else:
            iid = int(str(op.ref))
            if data:
                put(self.rest, f"{path}/{iid}", data)
        if parent:
            self.epics.link(iid, self.ref(parent))
        return iid, issue_id

    def find_issue(self, op: Operation) -> dict[str, Any] | None:
        issues = every(self.rest, f"/projects/{self.pid}/issues", search=op.title, state="all")
        for issue in issues:
            marker = parse(issue.get("description"))[1]
            if marker and marker.key == op.key:
                return issue
        return None

    def relate(self, issue_iid: int, parent_iid: int) -> None:
        """Link an issue to its Free parent issue; an existing link counts as done."""
        data = {"target_project_id": self.pid, "target_issue_iid": parent_iid}

        def find() -> dict[str, Any] | None:
            return next((i for i in self.links(issue_iid) if i["iid"] == parent_iid), None)

        try:
            create_once(
                lambda: post(self.rest, f"/projects/{self.pid}/issues/{issue_iid}/links", data),
                find,
            )
        except gitlab.GitlabHttpError as error:
            if error.response_code != 409:
                raise

    def _write_board(self, op: Operation) -> int:
        path = f"/projects/{self.pid}/boards"
        if op.op == "create":
            board = create_once(
                lambda: post(self.rest, path, {"name": op.title}),
                lambda: next((b for b in every(self.rest, path) if b["name"] == op.title), None),
            )
            board_id, have = int(board["id"]), tuple[str, ...]()
        else:
            board_id = int(str(op.ref))
            have = _names(op.changes["lists"][0] if "lists" in op.changes else op.fields["lists"])
        scope = _names(op.fields.get("labels"))
        if op.op != "create":
            scope = _names(op.changes["labels"][1]) if "labels" in op.changes else ()
        if scope:  # the board's scope (Premium): only by update, the create call takes a name
            put(self.rest, f"{path}/{board_id}", {"labels": ",".join(scope)})
        for name in _names(op.fields["lists"]):
            if name not in have:
                self._add_list(f"{path}/{board_id}/lists", name)
        return board_id

    def _add_list(self, path: str, label: str) -> None:
        label_id = self._label_id(label)
        create_once(
            lambda: post(self.rest, path, {"label_id": label_id}),
            lambda: next(
                (
                    item
                    for item in every(self.rest, path)
                    if (item.get("label") or {}).get("id") == label_id
                ),
                None,
            ),
        )


def _names(value: object) -> tuple[str, ...]:
    """A tuple of names from an operation's field value (a tuple or list of them, or None)."""
    return tuple(str(item) for item in value) if isinstance(value, tuple | list) else ()
