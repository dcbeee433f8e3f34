"""The engine's port: one GitLab project and its parent group, composed of one store per kind.

`read_live` reads the kinds the blueprint declares (lists at 100 per page, all at once) into one
`LiveState`, and the instance's capabilities only when a planned object lands by them;
`perform` hands each operation of the plan to its kind's store
(`bot/gitlab/kinds/`), whose creates are find-or-create and whose updates compare first.
This module holds what the kinds share: the project read once, the instance's capabilities,
the index of refs, and the errors explained for people.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

import gitlab
from gql.transport.exceptions import TransportQueryError

from bot.engine.diff import declared
from bot.engine.plan import Operation
from bot.engine.port import Kind, LiveObject, LiveState
from bot.gitlab.capabilities import Capabilities, detect_lazily
from bot.gitlab.connection import Connection
from bot.gitlab.errors import GitLabError, Rejected, RoleTooLow, explain, explained
from bot.gitlab.index import Index
from bot.gitlab.kinds.boards import BoardStore
from bot.gitlab.kinds.epics.choice import Early, locate_epics
from bot.gitlab.kinds.epics.parent_issues import IssueEpics
from bot.gitlab.kinds.epics.store import EpicStore, NoEpics
from bot.gitlab.kinds.epics.work_items import Answer, read_group
from bot.gitlab.kinds.issues import IssueStore
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.kinds.milestones import MilestoneStore
from bot.gitlab.kinds.templates import TemplateStore
from bot.gitlab.rest import enc, first_contact, get
from bot.playbook.blueprint import Blueprint

DEVELOPER = 30
READERS = 8
"""Workers for the reads at the start of a run, enough for all of them at once (the project,
each kind, the instance's capabilities), so that none waits for a worker another one holds."""
KINDS: frozenset[Kind] = frozenset({"label", "milestone", "epic", "issue", "board", "template"})
UNTIERED = "the tier was not read: no planned object depends on it"


def reads(blueprint: Blueprint | None) -> frozenset[Kind]:
    """The kinds to read for `blueprint` (every kind without one, as a resumed step needs): the
    kinds it declares, and the labels wherever boards or epics need their ids."""
    if blueprint is None:
        return KINDS
    kinds = set(declared(blueprint))
    if kinds & {"board", "epic"}:
        kinds.add("label")
    if any(issue.milestone for issue in blueprint.issues):
        kinds.add("milestone")
    return frozenset(kinds)


def tier_matters(blueprint: Blueprint | None) -> bool:
    """Whether any planned object lands by what the instance can do: epics (where they live,
    whether they nest), an issue's weight and a board's scope (neither exists on Free)."""
    if blueprint is None:
        return True
    return (
        bool(blueprint.epics)
        or any(issue.weight is not None for issue in blueprint.issues)
        or any(board.labels for board in blueprint.boards)
    )


class GitLabProject:
    """Port for one project: `read_live` first, then `perform` each operation of the plan."""

    def __init__(self, conn: Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self.rest = conn.rest
        self.index = Index()
        self.info: dict[str, Any] = {}
        self._loading = threading.Lock()
        self.live: LiveState | None = None
        self.labels = LabelStore(self)
        self.milestones = MilestoneStore(self)
        self.issues = IssueStore(self)
        self.boards = BoardStore(self, self.labels)
        self.templates = TemplateStore(self)
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
        """What the instance can do for this project's group: read once per instance (per group
        where the tier is the group's plan) and kept by the client. The project is read first
        only where the instance does not tell its tier itself."""

        def read() -> Capabilities:
            try:
                return detect_lazily(self.rest, lambda: self.group_id, lambda: self.pid)
            except GitLabError:
                raise
            except Exception as error:
                raise self._fail(error, "reading what this GitLab can do") from None

        return self.conn.client.capabilities.read(lambda: self.group_id, read)

    def _fail(self, error: Exception, doing: str) -> GitLabError:
        return explain(error, url=self.conn.url, project=self.path, doing=doing)

    def _explained(self, doing: str) -> AbstractContextManager[None]:
        return explained(url=self.conn.url, project=self.path, doing=doing)

    # -- the project and its group ------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        """The project as GitLab answers it, read once (callers at the same time wait for it)."""
        with self._loading:
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
    def address(self) -> str:
        """The project in a REST path: its id once read, else its URL-encoded path (GitLab takes
        either, `GL:doc/api/rest/_index.md`), so the first reads need not wait for the project."""
        return str(self.info["id"]) if self.info else enc(self.path)

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
        """Read the kinds the blueprint declares (every kind without one), all at once; the
        instance's capabilities only when a planned object lands by them."""
        kinds = reads(blueprint)
        tiered = tier_matters(blueprint)
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            project = pool.submit(self.load)
            found = {
                kind: pool.submit(read)
                for kind, read in (
                    ("label", self.labels.read),
                    ("milestone", self.milestones.read),
                    ("board", self.boards.read),
                )
                if kind in kinds
            }
            if "template" in kinds:
                found["template"] = pool.submit(self.templates.read, blueprint)
            issues = pool.submit(self.issues.read) if "issue" in kinds else None
            early = self._early_epics(pool) if "epic" in kinds else None
            epics = (
                pool.submit(self._read_epics, issues, blueprint, early) if "epic" in kinds else None
            )
            capabilities = pool.submit(lambda: self.capabilities) if tiered else None
            project.result()  # a project GitLab refuses is the error to tell, not its lists'
            listed = sorted(issues.result() if issues else [], key=lambda issue: issue["iid"])
            if epics is not None:
                self._epics, epic_objects = epics.result()
            else:
                self._epics, epic_objects = NoEpics(self, self.labels), []
            objects = [
                *(found["label"].result() if "label" in found else []),
                *(found["milestone"].result() if "milestone" in found else []),
                *epic_objects,
                *(
                    self.issues.live(issue, self.epics)
                    for issue in listed
                    if not self.epics.owns(issue)
                ),
                *(found["board"].result() if "board" in found else []),
                *(found["template"].result() if "template" in found else []),
            ]
            known = capabilities.result() if capabilities else None
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
            self.epics.unsupported | (known.unsupported if known else frozenset()),
            scope=self.pid,
            nested_epics=self.epics.nested,
            instance=known.to_json() if known else {"summary": UNTIERED},
        )
        return self.live

    def _early_epics(self, pool: ThreadPoolExecutor) -> Early | None:
        """Where the instance is known to keep epics as group work items and the project is
        named by its path, the group's epics are asked for beside the project read, under the
        group its path names; the answer is used only if the project confirms that group."""
        known = self.conn.client.capabilities.of_instance()
        guess = self.path.rpartition("/")[0]
        if self.info or not guess or known is None or known.epic_mode != "work_items":
            return None
        answer = pool.submit(read_group, self, guess)

        def confirmed(path: str) -> Answer | None:
            if path.lower() != guess.lower():
                return None
            try:
                return answer.result()
            except (gitlab.GitlabError, TransportQueryError):
                return None

        return confirmed

    def _read_epics(
        self,
        issues: Future[list[dict[str, Any]]] | None,
        blueprint: Blueprint | None,
        early: Early | None = None,
    ) -> tuple[EpicStore, list[LiveObject]]:
        """Where the epics live (the instance's capabilities say) and the live epics; on Free
        they are issues, so the issues are read here when the blueprint declares none."""
        store = locate_epics(self, self.labels, self.issues, early)
        if store.mode != "issues":
            return store, store.read([], blueprint)
        listed = issues.result() if issues is not None else self.issues.read()
        return store, store.read(sorted(listed, key=lambda issue: issue["iid"]), blueprint)

    # -- writing ------------------------------------------------------------------------------

    def perform(self, op: Operation) -> str:
        writer = {
            "label": self._write_label,
            "milestone": self.milestones.write,
            "epic": self.epics.write,
            "issue": self._write_issue,
            "board": self.boards.write,
            "template": self.templates.write,
        }[op.kind]
        with self._explained(f"trying to {op.op} {op.kind} {op.title!r}"):
            ref = str(writer(op))
        self.index.remember(op.key, ref)
        return ref

    def _write_label(self, op: Operation) -> int:
        """Labels go to the group where the plan's epics are group epics (they carry group
        labels only), else to the project (where a Developer may make them)."""
        at_group = self.epics.mode in ("work_items", "legacy")
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
