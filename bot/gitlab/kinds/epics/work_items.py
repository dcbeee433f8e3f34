"""Epics as group work items (GitLab 18.1+): read, created and updated through GraphQL, a
parent set with the hierarchy widget where the tier lets epics nest (Ultimate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gitlab
from gql.transport.exceptions import TransportQueryError

from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.errors import Rejected
from bot.gitlab.graphql import execute
from bot.gitlab.index import EpicHandle
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.kinds.epics.documents import CREATE, EPICS_QUERY, UPDATE
from bot.gitlab.kinds.epics.store import EpicStore, belongs, keys_of, made_for
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.rest import create_once
from bot.playbook.blueprint import Blueprint

Answer = tuple[list[dict[str, Any]], list[dict[str, Any]]]
"""The epics query's answer: the group's work-item types, and its epics."""


def read_group(ctx: ProjectContext, path: str) -> Answer:
    """The epics query for the group at `path`, asked before the project says its group."""
    return WorkItemEpics._query(ctx, path)


def _widget(node: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    return next((w for w in node.get("widgets") or [] if w.get("type") == kind), {})


class WorkItemEpics(EpicStore):
    """Epics as group work items (GitLab 18.1+): GraphQL reads and writes."""

    mode = "work_items"
    TYPE = "Epic"

    def __init__(
        self, ctx: ProjectContext, labels: LabelStore, type_id: str, nodes: list[dict[str, Any]]
    ) -> None:
        super().__init__(ctx, labels)
        self.type_id = type_id
        self.nodes = nodes

    @classmethod
    def probe(
        cls, ctx: ProjectContext, labels: LabelStore, answered: Answer | None = None
    ) -> WorkItemEpics | None:
        """The store if the group answers for work items with a type named Epic (one query
        also reads the epics, unless `answered` is its answer already). The type found by name
        is checked against the name returned."""
        try:
            types, nodes = answered if answered is not None else cls._query(ctx)
        except (gitlab.GitlabError, TransportQueryError):  # no work items on this GitLab
            return None
        epic = next((t for t in types if t.get("name") == cls.TYPE), None)
        if epic is None:
            return None
        return cls(ctx, labels, epic["id"], [n for n in nodes if belongs(n, ctx.pid)])

    @staticmethod
    def _query(ctx: ProjectContext, path: str | None = None) -> Answer:
        """The work-item types and the epics of the group at `path` (the project's group)."""
        types: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            data = execute(ctx.conn.graphql, EPICS_QUERY, path=path or ctx.group_path, after=after)
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
            self.ctx.index.epic(EpicHandle(int(node["iid"]), gid=node["id"]))
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
        data = execute(self.ctx.conn.graphql_once, query, input=payload)
        result = data[field]
        if result.get("errors"):
            raise Rejected(f"GitLab refused {field}: {'; '.join(result['errors'])}")
        return dict(result["workItem"])

    def write(self, op: Operation) -> str:
        ctx = self.ctx
        payload: dict[str, Any] = {}
        parent = op.parent if op.op == "create" or "parent" in op.changes else None
        if op.op == "create":
            labels = [*op.labels, *self.engagement_labels()]
            payload = {
                "namespacePath": ctx.group_path,
                "workItemTypeId": self.type_id,
                "title": op.title,
                "descriptionWidget": {"description": self.description(op)},
                "labelsWidget": {"labelIds": self.labels.gids(labels)},
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
            old, new = (keys_of(side) for side in op.changes.get("labels", ((), ())))
            add = {*new, *self.engagement_labels(op.ref)} - set(old)
            gone = set(old) - set(new)
            if add or gone:
                payload["labelsWidget"] = {
                    "addLabelIds": self.labels.gids(add),
                    "removeLabelIds": self.labels.gids(gone),
                }
            if parent and self.nested:
                payload["hierarchyWidget"] = {"parentId": self._gid(parent)}
            item = (
                self._mutate(UPDATE, payload, "workItemUpdate")
                if len(payload) > 1
                else {"iid": op.ref, "id": payload["id"]}
            )
        handle = EpicHandle(int(item["iid"]), gid=item["id"])
        ctx.index.epic(handle)
        return str(handle.iid)

    def _gid(self, key: str) -> str:
        return self._gid_of_ref(self.ctx.ref(key))

    def _gid_of_ref(self, ref: str | None) -> str:
        handle = self.ctx.index.epics.get(str(ref))
        if handle is None or handle.gid is None:
            raise Rejected(f"epic &{ref} is not known here: run apply again")
        return handle.gid

    def _find(self, key: str) -> dict[str, Any] | None:
        _, nodes = self._query(self.ctx)
        return next((node for node in nodes if made_for(node, key, self.ctx.pid)), None)
