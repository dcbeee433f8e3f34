"""The engine's port: one GitLab project and its parent group, composed of one store per kind.

`read_live` reads every kind (lists at 100 per page, four at a time) into one `LiveState`;
`perform` hands each operation of the plan to its kind's store
(`bot/gitlab/kinds/`), whose creates are find-or-create and whose updates compare first.
This module holds what the kinds share: the project read once, the instance's capabilities,
the index of refs, and the errors explained for people.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

from bot.engine.plan import Operation
from bot.engine.port import LiveState
from bot.gitlab.capabilities import Capabilities, detect
from bot.gitlab.connection import Connection
from bot.gitlab.errors import GitLabError, Rejected, RoleTooLow, explain, explained
from bot.gitlab.index import Index
from bot.gitlab.kinds.boards import BoardStore
from bot.gitlab.kinds.epics.choice import locate_epics
from bot.gitlab.kinds.epics.parent_issues import IssueEpics
from bot.gitlab.kinds.epics.store import EpicStore
from bot.gitlab.kinds.issues import IssueStore
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.kinds.milestones import MilestoneStore
from bot.gitlab.rest import enc, first_contact, get
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
        self.labels = LabelStore(self)
        self.milestones = MilestoneStore(self)
        self.issues = IssueStore(self)
        self.boards = BoardStore(self, self.labels)
        self._epics: EpicStore | None = None

    @property
    def epics(self) -> EpicStore:
        """Where this project's epics live (read with the live state; Free issues until then)."""
        if self._epics is None:
            self._epics = IssueEpics(self, self.labels, self.issues)
        return self._epics

    def locate_epics(self) -> EpicStore:
        """Ask GitLab again where this project's epics live (reading the group's epics)."""
        self._epics = locate_epics(self, self.labels, self.issues)
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

    def _explained(self, doing: str) -> AbstractContextManager[None]:
        return explained(url=self.conn.url, project=self.path, doing=doing)

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
        with self._explained(f"reading the live state of {self.path}"):
            return self._read(blueprint)

    def _read(self, blueprint: Blueprint | None) -> LiveState:
        self.load()
        capabilities = self.capabilities
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            epics = pool.submit(locate_epics, self, self.labels, self.issues)
            labels, milestones, boards = (
                pool.submit(self.labels.read),
                pool.submit(self.milestones.read),
                pool.submit(self.boards.read),
            )
            issues = pool.submit(self.issues.read)
            self._epics = epics.result()
            listed = sorted(issues.result(), key=lambda issue: issue["iid"])
            objects = [
                *labels.result(),
                *milestones.result(),
                *self.epics.read(listed, blueprint),
                *(
                    self.issues.live(issue, self.epics)
                    for issue in listed
                    if not self.epics.owns(issue)
                ),
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

    # -- writing ------------------------------------------------------------------------------

    def perform(self, op: Operation) -> str:
        writer = {
            "label": self._write_label,
            "milestone": self.milestones.write,
            "epic": self.epics.write,
            "issue": self._write_issue,
            "board": self.boards.write,
        }[op.kind]
        with self._explained(f"trying to {op.op} {op.kind} {op.title!r}"):
            ref = str(writer(op))
        self.index.remember(op.key, ref)
        return ref

    def _write_label(self, op: Operation) -> int:
        """Labels go to the group where epics are group epics (they carry group labels only)."""
        at_group = self.epics.mode != "issues"
        return self.labels.write(
            op, f"/groups/{self.group_id}" if at_group else f"/projects/{self.pid}"
        )

    def _write_issue(self, op: Operation) -> int:
        return self.issues.write(op, self.epics)[0]

    def ref(self, key: str) -> str:
        """The live ref of a blueprint key; a fresh adapter (a resumed step) reads GitLab first."""
        if key not in self.index.refs and self.live is None:
            self._read(None)
        if key not in self.index.refs:
            raise Rejected(f"{key} does not exist in {self.path} yet: run apply again")
        return self.index.refs[key]
