"""Where epics live, by tier: group work items (GraphQL), legacy group epics (REST), or, on Free,
parent issues carrying their phase label with their child issues linked by `relates_to`.

`relates_to` links rather than tasks: a task is not an issue (it leaves the issue boards and the
milestone's issue list), while a related issue stays an ordinary issue; links are on Free.
On Free, one GraphQL query reads the links of every parent issue (LINKED_ITEMS widget), and a
child issue is created already linked (workItemCreate with linkedItemsWidget); where GraphQL
work items do not answer, REST does it with one links read per parent and one link per child.

Group epics are seen by every project of the group: the stores keep only those whose marker
names no project or this one (`Marker.belongs_to`), so an engagement never matches, adopts,
retitles or links to the epics of another engagement in the same group.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import gitlab
from gql.transport.exceptions import TransportQueryError

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import EpicMode, LiveObject
from bot.gitlab.errors import Rejected
from bot.gitlab.graphql import execute
from bot.gitlab.index import EpicHandle
from bot.gitlab.rest import create_once, every
from bot.playbook.blueprint import Blueprint

if TYPE_CHECKING:
    from bot.gitlab.project import GitLabProject

EPICS_QUERY = """
query($path: ID!, $after: String) {
  namespace(fullPath: $path) {
    workItemTypes(name: EPIC) { nodes { id name } }
    workItems(types: [EPIC], first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id iid title description
        widgets {
          type
          ... on WorkItemWidgetLabels { labels { nodes { title } } }
          ... on WorkItemWidgetHierarchy { parent { id iid } }
        }
      }
    }
  }
}
"""

CREATE = """
mutation($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) { workItem { id iid } errors }
}
"""

LINKS_QUERY = """
query($path: ID!, $iids: [String!], $some: Boolean!, $after: String) {
  project(fullPath: $path) {
    workItemTypes(name: ISSUE) { nodes { id } }
    workItems(iids: $iids, first: 100, after: $after) @include(if: $some) {
      pageInfo { hasNextPage endCursor }
      nodes {
        iid
        widgets {
          type
          ... on WorkItemWidgetLinkedItems {
            linkedItems(filter: RELATED, first: 100) {
              pageInfo { hasNextPage }
              nodes { workItem { id } }
            }
          }
        }
      }
    }
  }
}
"""

UPDATE = """
mutation($input: WorkItemUpdateInput!) {
  workItemUpdate(input: $input) { workItem { id iid } errors }
}
"""


class EpicStore:
    mode: EpicMode
    unsupported: frozenset[str] = frozenset()

    def __init__(self, project: GitLabProject) -> None:
        self.project = project

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        raise NotImplementedError

    def owns(self, issue: Mapping[str, Any]) -> bool:
        """Whether this project issue stands for an epic (only on Free)."""
        return False

    def parent_of(self, issue: Mapping[str, Any]) -> str | None:
        epic = issue.get("epic")
        return str(epic["iid"]) if epic else None

    def issue_fields(self, parent: str) -> dict[str, Any]:
        """Issue create/update attributes that put the issue under epic `parent`."""
        return {}

    def link(self, issue_iid: int, parent: str) -> None:
        """Put an existing issue under epic `parent` when the issue call itself could not."""

    def create_linked(self, op: Operation, parent: str) -> tuple[int, int] | None:
        """Create the issue of `op` already under epic `parent` in one request, as (iid, id);
        None when the issue create call itself puts it there (or cannot)."""
        return None

    def write(self, op: Operation) -> str:
        raise NotImplementedError


def _epic_object(ref: str, title: str, description: str | None, labels, parent) -> LiveObject:
    text, marker = parse(description)
    fields = {
        "title": title,
        "description": text,
        "labels": tuple(sorted(labels)),
        "parent": parent,
    }
    return LiveObject("epic", ref, title, fields, marker)


def belongs(epic: Mapping[str, Any], project: int) -> bool:
    """Whether a group epic may belong to this project's engagement (not marked for another)."""
    marker = parse(epic.get("description"))[1]
    return marker is None or marker.belongs_to(project)


def _made(epic: Mapping[str, Any], key: str, project: int) -> bool:
    """Whether this is the group epic the bot created for `key` in this project's engagement."""
    marker = parse(epic.get("description"))[1]
    return marker is not None and marker.key == key and marker.project == project


class WorkItemEpics(EpicStore):
    """Epics as group work items (GitLab 18.1+): GraphQL reads and writes."""

    mode = "work_items"

    def __init__(self, project: GitLabProject, type_id: str, nodes: list[dict[str, Any]]) -> None:
        super().__init__(project)
        self.type_id = type_id
        self.nodes = nodes

    @classmethod
    def probe(cls, project: GitLabProject) -> WorkItemEpics | None:
        """The store if the group has an EPIC work-item type (one query also reads the epics)."""
        try:
            types, nodes = cls._query(project)
        except (gitlab.GitlabError, TransportQueryError):  # no work items on this GitLab
            return None
        if not types:
            return None
        return cls(project, types[0]["id"], [n for n in nodes if belongs(n, project.pid)])

    @staticmethod
    def _query(project: GitLabProject) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        types: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            data = execute(project.conn.graphql, EPICS_QUERY, path=project.group_path, after=after)
            namespace = data.get("namespace") or {}
            types = (namespace.get("workItemTypes") or {}).get("nodes") or types
            items = namespace.get("workItems") or {}
            nodes += items.get("nodes") or []
            page = items.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return types, nodes
            after = page["endCursor"]

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        found = []
        for node in sorted(self.nodes, key=lambda n: int(n["iid"])):
            self.project.index.epic(EpicHandle(int(node["iid"]), gid=node["id"]))
            widgets = {w.get("type"): w for w in node.get("widgets") or []}
            labels = (widgets.get("LABELS") or {}).get("labels") or {"nodes": []}
            parent = (widgets.get("HIERARCHY") or {}).get("parent")
            found.append(
                _epic_object(
                    str(node["iid"]),
                    node["title"],
                    node.get("description"),
                    [label["title"] for label in labels["nodes"]],
                    str(parent["iid"]) if parent else None,
                )
            )
        return found

    def issue_fields(self, parent: str) -> dict[str, Any]:
        return {"epic_iid": int(parent)}

    def _mutate(self, query: str, payload: dict[str, Any], field: str) -> dict[str, Any]:
        data = execute(self.project.conn.graphql_once, query, input=payload)
        result = data[field]
        if result.get("errors"):
            raise Rejected(f"GitLab refused {field}: {'; '.join(result['errors'])}")
        return result["workItem"]

    def write(self, op: Operation) -> str:
        project = self.project
        payload: dict[str, Any] = {}
        if op.op == "create":
            payload = {
                "namespacePath": project.group_path,
                "workItemTypeId": self.type_id,
                "title": op.title,
                "descriptionWidget": {"description": op.body},
                "labelsWidget": {"labelIds": project.label_gids(op.labels)},
            }
            if op.parent:
                payload["hierarchyWidget"] = {"parentId": self._gid(op.parent)}
            item = create_once(
                lambda: self._mutate(CREATE, payload, "workItemCreate"),
                lambda: self._find(op.key),
            )
        else:
            payload = {"id": self._gid_of_ref(op.ref)}
            if "title" in op.changes:
                payload["title"] = op.title
            if op.body is not None:
                payload["descriptionWidget"] = {"description": op.body}
            if "labels" in op.changes:
                old, new = op.changes["labels"]
                payload["labelsWidget"] = {
                    "addLabelIds": project.label_gids(set(new) - set(old or ())),
                    "removeLabelIds": project.label_gids(set(old or ()) - set(new)),
                }
            if "parent" in op.changes and op.parent:
                payload["hierarchyWidget"] = {"parentId": self._gid(op.parent)}
            item = self._mutate(UPDATE, payload, "workItemUpdate")
        handle = EpicHandle(int(item["iid"]), gid=item["id"])
        project.index.epic(handle)
        return str(handle.iid)

    def _gid(self, key: str) -> str:
        return self._gid_of_ref(self.project.ref(key))

    def _gid_of_ref(self, ref: str | None) -> str:
        handle = self.project.index.epics.get(str(ref))
        if handle is None or handle.gid is None:
            raise Rejected(f"epic &{ref} is not known here: run apply again")
        return handle.gid

    def _find(self, key: str) -> dict[str, Any] | None:
        _, nodes = self._query(self.project)
        return next((node for node in nodes if _made(node, key, self.project.pid)), None)


class LegacyEpics(EpicStore):
    """Epics through the deprecated but working `/groups/:id/epics` REST API."""

    mode = "legacy"

    def __init__(self, project: GitLabProject, epics: list[dict[str, Any]]) -> None:
        super().__init__(project)
        self.epics = [epic for epic in epics if belongs(epic, project.pid)]

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        found = []
        for epic in sorted(self.epics, key=lambda e: e["iid"]):
            self.project.index.epic(EpicHandle(epic["iid"], legacy_id=epic["id"]))
            parent = epic.get("parent_iid")
            found.append(
                _epic_object(
                    str(epic["iid"]),
                    epic["title"],
                    epic.get("description"),
                    epic.get("labels") or [],
                    str(parent) if parent else None,
                )
            )
        return found

    def issue_fields(self, parent: str) -> dict[str, Any]:
        return {"epic_id": self._legacy_id(parent)}

    def _legacy_id(self, ref: str) -> int:
        handle = self.project.index.epics.get(str(ref))
        if handle is None or handle.legacy_id is None:
            raise Rejected(f"epic &{ref} is not known here: run apply again")
        return handle.legacy_id

    def write(self, op: Operation) -> str:
        project = self.project
        base = f"/groups/{project.group_id}/epics"
        data: dict[str, Any] = {}
        if op.body is not None:
            data["description"] = op.body
        if op.op == "create" or "title" in op.changes:
            data["title"] = op.title
        if op.op == "create" or "labels" in op.changes:
            data["labels"] = ",".join(op.labels)
        if op.parent and (op.op == "create" or "parent" in op.changes):
            data["parent_id"] = self._legacy_id(project.ref(op.parent))
        if op.op == "create":
            epic = create_once(
                lambda: project.rest.http_post(base, post_data=data, retry_transient_errors=False),
                lambda: self._find(base, op),
            )
        else:
            epic = project.rest.http_put(f"{base}/{op.ref}", post_data=data)
        project.index.epic(EpicHandle(epic["iid"], legacy_id=epic["id"]))
        return str(epic["iid"])

    def _find(self, base: str, op: Operation) -> dict[str, Any] | None:
        epics = every(self.project.rest, base, search=op.title)
        return next((epic for epic in epics if _made(epic, op.key, self.project.pid)), None)


class IssueEpics(EpicStore):
    """Free: each epic is an issue with its phase label; children are linked with `relates_to`."""

    mode = "issues"
    unsupported = frozenset({"issue.weight", "board.labels"})
    """Free has no issue weights and no board scopes."""

    def __init__(self, project: GitLabProject) -> None:
        super().__init__(project)
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
            self.project.index.epic(EpicHandle(epic["iid"], gid=work_item_gid(epic["id"])))
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
        return [
            _epic_object(
                str(epic["iid"]),
                epic["title"],
                epic.get("description"),
                epic.get("labels") or [],
                self.parents.get(epic["iid"]),
            )
            for epic in epics
        ]

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
        project = self.project
        iid_of = {issue["id"]: issue["iid"] for issue in issues}
        found: dict[int, list[int]] = {}
        after = None
        while True:
            data = execute(
                project.conn.graphql,
                LINKS_QUERY,
                path=project.load()["path_with_namespace"],
                iids=[str(epic["iid"]) for epic in epics],
                some=bool(epics),
                after=after,
            )
            node = data.get("project") or {}
            types = (node.get("workItemTypes") or {}).get("nodes") or []
            self.type_id = types[0]["id"] if types else None
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
        pid = self.project.pid
        return [
            linked["iid"]
            for linked in self.project.links(iid)
            if linked["project_id"] == pid and linked.get("link_type", "relates_to") == "relates_to"
        ]

    def parent_of(self, issue: Mapping[str, Any]) -> str | None:
        return self.parents.get(issue["iid"])

    def link(self, issue_iid: int, parent: str) -> None:
        self.project.relate(issue_iid, int(parent))

    def create_linked(self, op: Operation, parent: str) -> tuple[int, int] | None:
        """GraphQL workItemCreate with the description, labels, milestone and the link to the
        parent issue as widgets: one request where REST needs a create and a link."""
        handle = self.project.index.epics.get(parent)
        if self.type_id is None or handle is None or handle.gid is None:
            return None
        project = self.project
        wanted = op.fields
        payload: dict[str, Any] = {
            "projectPath": project.load()["path_with_namespace"],
            "workItemTypeId": self.type_id,
            "title": op.title,
            "confidential": bool(wanted.get("confidential")),
            "labelsWidget": {"labelIds": project.label_gids(wanted.get("labels") or ())},
            "linkedItemsWidget": {"workItemsIds": [handle.gid]},
        }
        if op.body is not None:
            payload["descriptionWidget"] = {"description": op.body}
        if wanted.get("milestone"):
            milestone = project.ref(str(wanted["milestone"]))
            payload["milestoneWidget"] = {"milestoneId": f"gid://gitlab/Milestone/{milestone}"}
        if wanted.get("weight") is not None:
            payload["weightWidget"] = {"weight": wanted["weight"]}

        def post() -> dict[str, Any]:
            answer = execute(project.conn.graphql_once, CREATE, input=payload)["workItemCreate"]
            item = answer.get("workItem")
            if item is None:
                raise Rejected(f"GitLab refused workItemCreate: {'; '.join(answer['errors'])}")
            made = {"iid": int(item["iid"]), "id": gid_number(item["id"])}
            if answer.get("errors"):  # created, but not linked: link it the REST way
                project.relate(made["iid"], int(parent))
            return made

        def find() -> dict[str, Any] | None:
            issue = project.find_issue(op)
            if issue is not None:
                project.relate(issue["iid"], int(parent))
            return issue

        issue = create_once(post, find)
        return int(issue["iid"]), int(issue["id"])

    def write(self, op: Operation) -> str:
        iid, issue_id = self.project.put_issue(op)
        if issue_id is not None:
            self.project.index.epic(EpicHandle(iid, gid=work_item_gid(issue_id)))
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
