"""Where epics live, by tier: group work items (GraphQL), legacy group epics (REST), or, on Free,
parent issues carrying their phase label with their child issues linked by `relates_to`.

`relates_to` links rather than tasks: a task is not an issue (it leaves the issue boards and the
milestone's issue list), while a related issue stays an ordinary issue; links are on Free.
On Free, one GraphQL query reads the links of every parent issue (LINKED_ITEMS widget), and a
child issue is created already linked (workItemCreate with linkedItemsWidget); where GraphQL
work items do not answer, REST does it with one links read per parent and one link per child.

Where the tier has no parent epics (Premium: multi-level child epics are Ultimate,
`GL:doc/user/group/epics/manage_epics.md`, and so are linked epics,
`GL:doc/user/group/epics/linked_epics.md`) every epic is a top-level epic of the group, and the
tree is shown the ways Premium has: the parent epic's description ends with a list of its
children (`&iid+` references, which GitLab renders as links showing the epic's title), kept
current by compare-and-update, and every epic of the engagement carries its scoped label. The
adapter reads that list back as each child's parent, so the engine sees the same tree on every
tier. When the group moves to Ultimate, the next apply finds no real parent and sets it; the
other way round, the real parents stay and are read as they are.

Group epics are seen by every project of the group: the stores keep only those whose marker
names no project or this one (`Marker.belongs_to`), so an engagement never matches, adopts,
retitles or links to the epics of another engagement in the same group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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
from bot.gitlab.rest import create_once, every, post, put
from bot.playbook.blueprint import Blueprint

if TYPE_CHECKING:
    from bot.gitlab.project import GitLabProject

# `namespace.workItems` lists the group's own epics only: subgroups come in only when asked
# (`includeDescendants`, off by default; verified.md 3.3), so nothing needs to be passed.
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
    workItemTypes(name: ISSUE) { nodes { id name } }
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


CHILDREN_START = "<!-- psdm-bot children -->"
CHILDREN_END = "<!-- psdm-bot children end -->"
_CHILDREN = re.compile(
    rf"\s*{re.escape(CHILDREN_START)}(?P<body>.*?){re.escape(CHILDREN_END)}\s*", re.DOTALL
)
_REFERENCE = re.compile(r"&(\d+)")
ENGAGEMENT_LABEL = "psdm-engagement::"
"""Prefix of the scoped label that every group epic of one engagement carries where epics
cannot nest (the rest of the name is the project's path)."""


def split_children(description: str | None) -> tuple[str, tuple[int, ...]]:
    """The description without the bot's list of child epics, and the iids that list names."""
    text = description or ""
    found = _CHILDREN.search(text)
    if not found:
        return text, ()
    iids = tuple(dict.fromkeys(int(n) for n in _REFERENCE.findall(found["body"])))
    return (text[: found.start()] + "\n\n" + text[found.end() :]).strip(), iids


def with_children(description: str | None, iids: Iterable[int]) -> str:
    """`description` (its old list removed) ending with the list of `iids`, if any."""
    text = split_children(description)[0]
    lines = "\n".join(f"- &{iid}+" for iid in iids)
    if not lines:
        return text
    return f"{text}\n\n{CHILDREN_START}\n**Phases and workstreams**\n\n{lines}\n{CHILDREN_END}"


class EpicStore:
    mode: EpicMode
    unsupported: frozenset[str] = frozenset()

    def __init__(self, project: GitLabProject) -> None:
        self.project = project
        self.nested = project.capabilities.parent_epics
        """Whether an epic can have a parent epic here (Ultimate); else its parent lists it."""
        self.raw: dict[str, str | None] = {}
        """Each epic's description as read, its list of children included."""
        self.labelled: set[str] = set()
        """Epics that carry the engagement's scoped label already."""

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

    # -- where epics cannot nest: the parent lists its children ---------------------------

    def epic_object(
        self, iid: int, title: str, description: str | None, labels: Iterable[str], parent: object
    ) -> LiveObject:
        """The live epic: its real parent and, where epics cannot nest, the children its
        description lists (the list itself is not part of the description the engine sees)."""
        self.raw[str(iid)] = description
        labels = list(labels)
        if any(label.startswith(ENGAGEMENT_LABEL) for label in labels):
            self.labelled.add(str(iid))
        visible, children = split_children(description)
        text, marker = parse(visible)
        fields: dict[str, object] = {
            "title": title,
            "description": text,
            "labels": tuple(sorted(lb for lb in labels if not lb.startswith(ENGAGEMENT_LABEL))),
            "parent": str(parent) if parent else None,
        }
        if not self.nested:
            fields["children"] = tuple(str(child) for child in children)
        return LiveObject("epic", str(iid), title, fields, marker)

    def rest_epic(self, epic: Mapping[str, Any], parent: object) -> LiveObject:
        """`epic_object` of an epic (or Free parent issue) as the REST API answers it."""
        labels = epic.get("labels") or []
        return self.epic_object(epic["iid"], epic["title"], epic.get("description"), labels, parent)

    def engagement_labels(self, ref: str | None = None) -> list[str]:
        """Where epics cannot nest, the engagement's scoped label (made on first use) for a
        new epic or one (`ref`) that lacks it."""
        if self.nested or (ref is not None and str(ref) in self.labelled):
            return []
        name = ENGAGEMENT_LABEL + str(self.project.load()["path"])
        self.project.ensure_group_label(name, "#6699cc", "The epics of one PSDM engagement")
        return [name]

    def description(self, op: Operation) -> str | None:
        """The description to write for `op`, ending with its list of children where epics
        cannot nest; None to leave it alone. The list is compared and updated from what this
        run read, like every other field."""
        if op.op == "create":
            children: object = op.fields.get("children")
        else:
            children = op.changes["children"][1] if "children" in op.changes else None
        if children is None:
            if op.body is None:
                return None
            return with_children(op.body, split_children(self.raw.get(str(op.ref)))[1])
        text = op.body if op.body is not None else self.raw.get(str(op.ref))
        return with_children(text, [self._iid(key) for key in _keys(children)])

    def _iid(self, key: str) -> int:
        """The iid of epic `key`, or of `epic#iid`, an epic outside the blueprint."""
        ref = key.partition("#")[2] if key.startswith("epic#") else self.project.ref(key)
        return int(ref)


def _keys(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, tuple | list) else ()


def belongs(epic: Mapping[str, Any], project: int) -> bool:
    """Whether a group epic may belong to this project's engagement (not marked for another)."""
    marker = parse(epic.get("description"))[1]
    return marker is None or marker.belongs_to(project)


def _made(epic: Mapping[str, Any], key: str, project: int) -> bool:
    """Whether this is the group epic the bot created for `key` in this project's engagement."""
    marker = parse(epic.get("description"))[1]
    return marker is not None and marker.key == key and marker.project == project


def _widget(node: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    return next((w for w in node.get("widgets") or [] if w.get("type") == kind), {})


class WorkItemEpics(EpicStore):
    """Epics as group work items (GitLab 18.1+): GraphQL reads and writes."""

    mode = "work_items"
    TYPE = "Epic"

    def __init__(self, project: GitLabProject, type_id: str, nodes: list[dict[str, Any]]) -> None:
        super().__init__(project)
        self.type_id = type_id
        self.nodes = nodes

    @classmethod
    def probe(cls, project: GitLabProject) -> WorkItemEpics | None:
        """The store if the group answers for work items with a type named Epic (one query
        also reads the epics). The type found by name is checked against the name returned."""
        try:
            types, nodes = cls._query(project)
        except (gitlab.GitlabError, TransportQueryError):  # no work items on this GitLab
            return None
        epic = next((t for t in types if t.get("name") == cls.TYPE), None)
        if epic is None:
            return None
        return cls(project, epic["id"], [n for n in nodes if belongs(n, project.pid)])

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
            labels = (_widget(node, "LABELS").get("labels") or {}).get("nodes") or []
            parent = _widget(node, "HIERARCHY").get("parent")
            found.append(
                self.epic_object(
                    int(node["iid"]),
                    node["title"],
                    node.get("description"),
                    [label["title"] for label in labels],
                    parent["iid"] if parent else None,
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
        return dict(result["workItem"])

    def write(self, op: Operation) -> str:
        project = self.project
        payload: dict[str, Any] = {}
        parent = op.parent if op.op == "create" or "parent" in op.changes else None
        if op.op == "create":
            labels = [*op.labels, *self.engagement_labels()]
            payload = {
                "namespacePath": project.group_path,
                "workItemTypeId": self.type_id,
                "title": op.title,
                "descriptionWidget": {"description": self.description(op)},
                "labelsWidget": {"labelIds": project.label_gids(labels)},
            }
            if parent and self.nested:
                payload["hierarchyWidget"] = {"parentId": self._gid(parent)}
            item = create_once(
                lambda: self._mutate(CREATE, payload, "workItemCreate"),
                lambda: self._find(op.key),
            )
        else:
            payload = {"id": self._gid_of_ref(op.ref)}
            if "title" in op.changes:
                payload["title"] = op.title
            description = self.description(op)
            if description is not None:
                payload["descriptionWidget"] = {"description": description}
            old, new = (_keys(side) for side in op.changes.get("labels", ((), ())))
            add = {*new, *self.engagement_labels(op.ref)} - set(old)
            gone = set(old) - set(new)
            if add or gone:
                payload["labelsWidget"] = {
                    "addLabelIds": project.label_gids(add),
                    "removeLabelIds": project.label_gids(gone),
                }
            if parent and self.nested:
                payload["hierarchyWidget"] = {"parentId": self._gid(parent)}
            item = (
                self._mutate(UPDATE, payload, "workItemUpdate")
                if len(payload) > 1
                else {"iid": op.ref, "id": payload["id"]}
            )
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
    """Epics through the deprecated but working `/groups/:id/epics` REST API (before 18.1).

    Listed without subgroups (`include_descendant_groups=false`, `GL:doc/api/epics.md`): epic
    iids are per group, and the bot's epics live in the project's own group.
    """

    mode = "legacy"

    def __init__(self, project: GitLabProject, epics: list[dict[str, Any]]) -> None:
        super().__init__(project)
        group = project.group_id
        self.epics = [
            epic
            for epic in epics
            if belongs(epic, project.pid) and epic.get("group_id", group) == group
        ]

    @property
    def base(self) -> str:
        return f"/groups/{self.project.group_id}/epics"

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        ordered = sorted(self.epics, key=lambda e: e["iid"])
        for epic in ordered:
            self.project.index.epic(EpicHandle(epic["iid"], legacy_id=epic["id"]))
        return [self.rest_epic(epic, epic.get("parent_iid")) for epic in ordered]

    def issue_fields(self, parent: str) -> dict[str, Any]:
        return {"epic_id": self._legacy_id(parent)}

    def _legacy_id(self, ref: str) -> int:
        handle = self.project.index.epics.get(str(ref))
        if handle is None or handle.legacy_id is None:
            raise Rejected(f"epic &{ref} is not known here: run apply again")
        return handle.legacy_id

    def write(self, op: Operation) -> str:
        project = self.project
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
            data["parent_id"] = self._legacy_id(project.ref(parent))
        if op.op == "create":
            epic = create_once(
                lambda: post(project.rest, self.base, data),
                lambda: self._find(op),
            )
        elif data:
            epic = put(project.rest, f"{self.base}/{op.ref}", data)
        else:
            epic = {"iid": int(str(op.ref)), "id": self._legacy_id(str(op.ref))}
        project.index.epic(EpicHandle(epic["iid"], legacy_id=epic["id"]))
        return str(epic["iid"])

    def _find(self, op: Operation) -> dict[str, Any] | None:
        epics = every(
            self.project.rest, self.base, search=op.title, include_descendant_groups=False
        )
        return next((epic for epic in epics if _made(epic, op.key, self.project.pid)), None)


class IssueEpics(EpicStore):
    """Free: each epic is an issue with its phase label; children are linked with `relates_to`."""

    mode = "issues"
    unsupported = frozenset({"issue.weight", "board.labels"})
    """Free has no issue weights and no board scopes."""

    def __init__(self, project: GitLabProject) -> None:
        super().__init__(project)
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
        if not self.project.capabilities.linked_items_on_create:  # the widget is 17.4+
            return None
        project = self.project
        wanted = op.fields
        payload: dict[str, Any] = {
            "namespacePath": project.load()["path_with_namespace"],
            "workItemTypeId": self.type_id,
            "title": op.title,
            "confidential": bool(wanted.get("confidential")),
            "labelsWidget": {"labelIds": project.label_gids(_keys(wanted.get("labels")))},
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
