"""Free (or a project outside a group): each epic is a project issue carrying its phase label,
and its child issues are linked to it by `relates_to`.

One GraphQL query reads the links of every parent issue (LINKED_ITEMS widget), and a child
issue is created already linked (workItemCreate with linkedItemsWidget); where GraphQL work
items do not answer, REST does it with one links read per parent and one link per child.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gitlab
from gql.transport.exceptions import TransportQueryError

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.errors import Rejected
from bot.gitlab.graphql import execute
from bot.gitlab.index import EpicHandle
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.kinds.epics.documents import CREATE, LINKS_QUERY
from bot.gitlab.kinds.epics.store import EpicStore, keys_of
from bot.gitlab.kinds.issues import IssueStore
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.rest import create_once
from bot.playbook.blueprint import Blueprint


class IssueEpics(EpicStore):
    """Free: each epic is an issue with its phase label; children are linked with `relates_to`."""

    mode = "issues"
    unsupported = frozenset({"issue.weight", "board.labels"})
    """Free has no issue weights and no board scopes."""

    def __init__(self, ctx: ProjectContext, labels: LabelStore, issues: IssueStore) -> None:
        super().__init__(ctx, labels)
        self.issues = issues
        self.nested = True  # a parent issue and its children are linked on every tier
        self.parents: dict[int, str] = {}
        self.titles: set[str] = set()
        self.type_id: str | None = None
        """The ISSUE work-item type; None where GraphQL work items do not answer (REST then)."""

    def owns(self, issue: Mapping[str, Any]) -> bool:
        """Issues marked as an epic, and unmarked ones titled like a blueprint epic (to adopt)."""
        marker = parse(issue.get("description"))[1]
        if marker is None:
            return issue.get("title") in self.titles
        return marker.key.startswith("epic:")

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        self.titles = {epic.title for epic in blueprint.epics} if blueprint else set()
        epics = [issue for issue in issues if self.owns(issue)]
        wanted = _wanted_parents(blueprint)
        key_of = {i["iid"]: m.key for i in issues if (m := parse(i.get("description"))[1])}
        linked = self._linked(issues, epics)
        candidates: dict[int, list[int]] = {}
        for epic in epics:
            self.ctx.index.epic(EpicHandle(epic["iid"], gid=work_item_gid(epic["id"])))
            for iid in linked[epic["iid"]]:
                candidates.setdefault(iid, []).append(epic["iid"])
        for iid, linked_to in candidates.items():
            key = key_of.get(iid, "")
            # a link is symmetric: a parent issue is related to its children too
            parents = [p for p in linked_to if not key or wanted.get(key_of.get(p, "")) != key]
            if parents:
                want = wanted.get(key)
                self.parents[iid] = str(
                    next((p for p in parents if key_of.get(p) == want), parents[0])
                )
        return [self.rest_epic(epic, self.parents.get(epic["iid"])) for epic in epics]

    def _linked(
        self, issues: list[dict[str, Any]], epics: list[dict[str, Any]]
    ) -> dict[int, list[int]]:
        """Per parent issue, the iids of this project's issues related to it.

        One GraphQL query answers for up to 100 parents with up to 100 links each; a parent
        it leaves out (more links, or a GitLab without the widget) is read through REST.
        """
        try:
            found = self._query_links(issues, epics)
        except (gitlab.GitlabError, TransportQueryError):  # no GraphQL work items here
            self.type_id, found = None, {}
        missing = [epic["iid"] for epic in epics if epic["iid"] not in found]
        if missing:
            with ThreadPoolExecutor(max_workers=4) as pool:
                found.update(zip(missing, pool.map(self._rest_links, missing), strict=True))
        return found

    def _query_links(
        self, issues: list[dict[str, Any]], epics: list[dict[str, Any]]
    ) -> dict[int, list[int]]:
        ctx = self.ctx
        iid_of = {issue["id"]: issue["iid"] for issue in issues}
        found: dict[int, list[int]] = {}
        after = None
        while True:
            data = execute(
                ctx.conn.graphql,
                LINKS_QUERY,
                path=ctx.load()["path_with_namespace"],
                iids=[str(epic["iid"]) for epic in epics],
                some=bool(epics),
                after=after,
            )
            node = data.get("project") or {}
            types = (node.get("workItemTypes") or {}).get("nodes") or []
            issue = next((t for t in types if t.get("name") == "Issue"), None)
            self.type_id = issue["id"] if issue else None
            items = node.get("workItems") or {}
            for item in items.get("nodes") or []:
                widget = next(
                    (w for w in item.get("widgets") or [] if w.get("type") == "LINKED_ITEMS"), None
                )
                if widget is None:  # a GitLab without linked work items cannot link on create
                    self.type_id = None
                    continue
                links = widget.get("linkedItems") or {}
                if (links.get("pageInfo") or {}).get("hasNextPage"):
                    continue
                ids = [
                    gid_number(n["workItem"]["id"])
                    for n in links.get("nodes") or []
                    if n["workItem"]
                ]
                found[int(item["iid"])] = [iid_of[i] for i in ids if i in iid_of]
            page = items.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return found
            after = page["endCursor"]

    def _rest_links(self, iid: int) -> list[int]:
        pid = self.ctx.pid
        return [
            linked["iid"]
            for linked in self.issues.links(iid)
            if linked["project_id"] == pid and linked.get("link_type", "relates_to") == "relates_to"
        ]

    def parent_of(self, issue: Mapping[str, Any]) -> str | None:
        return self.parents.get(issue["iid"])

    def link(self, issue_iid: int, parent: str) -> None:
        self.issues.relate(issue_iid, int(parent))

    def create_linked(self, op: Operation, parent: str) -> tuple[int, int] | None:
        """GraphQL workItemCreate with the description, labels, milestone and the link to the
        parent issue as widgets: one request where REST needs a create and a link."""
        handle = self.ctx.index.epics.get(parent)
        if self.type_id is None or handle is None or handle.gid is None:
            return None
        if not self.ctx.capabilities.linked_items_on_create:  # the widget is 17.4+
            return None
        ctx = self.ctx
        wanted = op.fields
        payload: dict[str, Any] = {
            "namespacePath": ctx.load()["path_with_namespace"],
            "workItemTypeId": self.type_id,
            "title": op.title,
            "confidential": bool(wanted.get("confidential")),
            "labelsWidget": {"labelIds": self.labels.gids(keys_of(wanted.get("labels")))},
            "linkedItemsWidget": {"workItemsIds": [handle.gid]},
        }
        if op.body is not None:
            payload["descriptionWidget"] = {"description": op.body}
        if wanted.get("milestone"):
            milestone = ctx.ref(str(wanted["milestone"]))
            payload["milestoneWidget"] = {"milestoneId": f"gid://gitlab/Milestone/{milestone}"}
        if wanted.get("weight") is not None:
            payload["weightWidget"] = {"weight": wanted["weight"]}

        def post() -> dict[str, Any]:
            answer = execute(ctx.conn.graphql_once, CREATE, input=payload)["workItemCreate"]
            item = answer.get("workItem")
            if item is None:
                raise Rejected(f"GitLab refused workItemCreate: {'; '.join(answer['errors'])}")
            made = {"iid": int(item["iid"]), "id": gid_number(item["id"])}
            if answer.get("errors"):  # created, but not linked: link it the REST way
                self.issues.relate(made["iid"], int(parent))
            return made

        def find() -> dict[str, Any] | None:
            issue = self.issues.find(op)
            if issue is not None:
                self.issues.relate(issue["iid"], int(parent))
            return issue

        issue = create_once(post, find)
        return int(issue["iid"]), int(issue["id"])

    def write(self, op: Operation) -> str:
        iid, issue_id = self.issues.write(op, self)
        if issue_id is not None:
            self.ctx.index.epic(EpicHandle(iid, gid=work_item_gid(issue_id)))
        return str(iid)


def work_item_gid(issue_id: int) -> str:
    """An issue's work-item global ID: the same number as its REST `id`."""
    return f"gid://gitlab/WorkItem/{issue_id}"


def gid_number(value: str) -> int:
    return int(str(value).rsplit("/", 1)[1])


def _wanted_parents(blueprint: Blueprint | None) -> dict[str, str]:
    if blueprint is None:
        return {}
    wanted = {epic.key: epic.parent for epic in blueprint.epics if epic.parent}
    wanted.update({issue.key: issue.epic for issue in blueprint.issues if issue.epic})
    return wanted
