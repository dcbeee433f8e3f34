"""Where epics live, by tier: group work items (GraphQL), legacy group epics (REST), or, on Free,
parent issues carrying their phase label with their child issues linked by `relates_to`.

`relates_to` links rather than tasks: a task is not an issue (it leaves the issue boards and the
milestone's issue list), while a related issue stays an ordinary issue; links are on Free.
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
        return cls(project, types[0]["id"], nodes) if types else None

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
        for node in nodes:
            marker = parse(node.get("description"))[1]
            if marker and marker.key == key:
                return node
        return None


class LegacyEpics(EpicStore):
    """Epics through the deprecated but working `/groups/:id/epics` REST API."""

    mode = "legacy"

    def __init__(self, project: GitLabProject, epics: list[dict[str, Any]]) -> None:
        super().__init__(project)
        self.epics = epics

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
        for epic in every(self.project.rest, base, search=op.title):
            marker = parse(epic.get("description"))[1]
            if marker and marker.key == op.key:
                return epic
        return None


class IssueEpics(EpicStore):
    """Free: each epic is an issue with its phase label; children are linked with `relates_to`."""

    mode = "issues"
    unsupported = frozenset({"issue.weight", "board.labels"})
    """Free has no issue weights and no board scopes."""

    def __init__(self, project: GitLabProject) -> None:
        super().__init__(project)
        self.parents: dict[int, str] = {}
        self.titles: set[str] = set()

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
        candidates: dict[int, list[int]] = {}
        with ThreadPoolExecutor(max_workers=4) as pool:
            links = list(pool.map(self.project.links, [epic["iid"] for epic in epics]))
        for epic, linked_issues in zip(epics, links, strict=True):
            self.project.index.epic(EpicHandle(epic["iid"]))
            for linked in linked_issues:
                if linked["project_id"] == self.project.pid:
                    candidates.setdefault(linked["iid"], []).append(epic["iid"])
        for iid, parents in candidates.items():
            want = wanted.get(key_of.get(iid, ""))
            self.parents[iid] = str(next((p for p in parents if key_of.get(p) == want), parents[0]))
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

    def parent_of(self, issue: Mapping[str, Any]) -> str | None:
        return self.parents.get(issue["iid"])

    def link(self, issue_iid: int, parent: str) -> None:
        self.project.relate(issue_iid, int(parent))

    def write(self, op: Operation) -> str:
        iid = self.project.write_issue(op)
        return str(iid)


def _wanted_parents(blueprint: Blueprint | None) -> dict[str, str]:
    if blueprint is None:
        return {}
    wanted = {epic.key: epic.parent for epic in blueprint.epics if epic.parent}
    wanted.update({issue.key: issue.epic for issue in blueprint.issues if issue.epic})
    return wanted
