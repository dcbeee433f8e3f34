"""GraphQL objects as dicts whose callables graphql-core's default resolver calls lazily."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..model import Group, IssueLink, Label, Milestone, Project, User, WorkItem
from ..render import avatar, text_color
from ..routes.links import seen_from
from ..web import Ctx

TYPE_IDS = {
    "issue": 1,
    "incident": 2,
    "test_case": 3,
    "requirement": 4,
    "task": 5,
    "objective": 6,
    "key_result": 7,
    "epic": 8,
    "ticket": 9,
}
TYPE_NAMES = {
    "issue": "Issue",
    "incident": "Incident",
    "test_case": "Test Case",
    "requirement": "Requirement",
    "task": "Task",
    "objective": "Objective",
    "key_result": "Key Result",
    "epic": "Epic",
    "ticket": "Ticket",
}
ICONS = {"epic": "issue-type-epic", "task": "issue-type-task", "issue": "issue-type-issue"}
PROJECT_KINDS = ("issue", "incident", "test_case", "task")
MAX_PAGE = 100
LINK_FILTERS = {"RELATED": "relates_to", "BLOCKS": "blocks", "BLOCKED_BY": "is_blocked_by"}


def gid(kind: str, number: int) -> str:
    return f"gid://gitlab/{kind}/{number}"


def parse_gid(value: Any, *kinds: str) -> int | None:
    """The number in `gid://gitlab/<Kind>/<n>` when Kind is one of `kinds` (any kind if none)."""
    text = str(value or "")
    if not text.startswith("gid://gitlab/"):
        return None
    kind, _, number = text[len("gid://gitlab/") :].rpartition("/")
    if (kinds and kind not in kinds) or not number.isdigit():
        return None
    return int(number)


def kind_of_type_id(value: Any) -> str | None:
    number = parse_gid(value, "WorkItems::Type")
    return next((k for k, v in TYPE_IDS.items() if v == number), None)


def time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def connection(
    items: list[Any], first: int | None, after: str | None, build: Callable[[Any], Any]
) -> dict[str, Any]:
    """A cursor connection over a list; cursors are opaque base64 offsets."""
    start = 0
    if after:
        try:
            start = int(base64.b64decode(after).decode().split(":", 1)[1]) + 1
        except (ValueError, IndexError):
            start = 0
    size = min(first if first is not None else MAX_PAGE, MAX_PAGE)
    chunk = items[start : start + size]
    cursors = [base64.b64encode(f"offset:{start + i}".encode()).decode() for i in range(len(chunk))]
    nodes = [build(item) for item in chunk]
    return {
        "count": len(items),
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": start + size < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def user_core(ctx: Ctx, user: User) -> dict[str, Any]:
    return {
        "id": gid("User", user.id),
        "username": user.username,
        "name": user.name,
        "state": user.state,
        "active": user.state == "active",
        "webUrl": f"{ctx.base_url}/{user.username}",
        "avatarUrl": avatar(user.email),
        "publicEmail": None,
        "bot": user.bot,
        "admin": user.is_admin,
    }


def work_item_type(kind: str) -> dict[str, Any]:
    return {
        "id": gid("WorkItems::Type", TYPE_IDS[kind]),
        "name": TYPE_NAMES[kind],
        "iconName": ICONS.get(kind, f"issue-type-{kind.replace('_', '-')}"),
    }


def listed_kinds() -> list[str]:
    """`workItemTypes` lists every type on every tier and namespace: the types resolver says
    "All groups/projects use all types for now" (GL:app/graphql/resolvers/work_items/
    types_resolver.rb); whether one may be created is decided at create time."""
    return list(TYPE_IDS)


def available_kinds(ctx: Ctx, owner: Project | Group) -> list[str]:
    """The types a workItemCreate in `owner` may make on this tier."""
    if isinstance(owner, Project):
        return list(PROJECT_KINDS)
    return ["epic"] if ctx.state.has("epics") else []


def label_node(label: Label) -> dict[str, Any]:
    return {
        "id": gid("ProjectLabel" if label.owner == "project" else "GroupLabel", label.id),
        "title": label.title,
        "color": label.color,
        "textColor": text_color(label.color),
        "description": label.description,
    }


def milestone_node(ctx: Ctx, milestone: Milestone) -> dict[str, Any]:
    url = ctx.render.milestone_url(milestone)
    return {
        "id": gid("Milestone", milestone.id),
        "iid": str(milestone.iid),
        "title": milestone.title,
        "state": milestone.state,
        "description": milestone.description,
        "startDate": day(milestone.start_date),
        "dueDate": day(milestone.due_date),
        "webPath": url[len(ctx.base_url) :],
    }


def _items_of(ctx: Ctx, owner: Project | Group, args: dict[str, Any]) -> list[WorkItem]:
    state = ctx.state
    if isinstance(owner, Project):
        items = [w for w in state.work_items.values() if w.project_id == owner.id]
    else:
        groups = state.descendants(owner) if args.get("includeDescendants") else [owner]
        ids = {g.id for g in groups}
        items = [w for w in state.work_items.values() if w.group_id in ids]
        if args.get("includeDescendants"):
            projects = {p.id for p in state.projects_in(owner, include_subgroups=True)}
            items += [w for w in state.work_items.values() if w.project_id in projects]
    items = [w for w in items if state.can_see_issue(ctx.user, w)]
    if args.get("iid"):
        items = [w for w in items if str(w.iid) == args["iid"]]
    if args.get("iids"):
        items = [w for w in items if str(w.iid) in args["iids"]]
    if args.get("types"):
        wanted = {t.lower() for t in args["types"]}
        items = [w for w in items if w.kind in wanted]
    if args.get("state") in ("opened", "closed"):
        items = [w for w in items if w.state == args["state"]]
    if args.get("search"):
        term = args["search"].lower()
        items = [w for w in items if term in f"{w.title} {w.description}".lower()]
    if args.get("labelName"):
        names = set(args["labelName"])
        items = [w for w in items if names <= {state.labels[i].title for i in w.label_ids}]
    return sorted(items, key=lambda w: w.id, reverse=True)


def namespace_node(ctx: Ctx, owner: Project | Group) -> dict[str, Any]:
    state = ctx.state
    if isinstance(owner, Project):
        full_path = state.project_full_path(owner)
        group = state.project_group(owner)
        full_name = f"{state.group_full_name(group)} / {owner.name}" if group else owner.name
        node_id, url = gid("Project", owner.id), ctx.render.project_url(owner)
    else:
        full_path, full_name = state.group_full_path(owner), state.group_full_name(owner)
        node_id, url = gid("Group", owner.id), ctx.render.group_url(owner)

    def types(_info: Any, name: str | None = None) -> dict[str, Any]:
        kinds = listed_kinds()
        if name:
            kinds = [k for k in kinds if k == name.lower()]
        return {"count": len(kinds), "nodes": [work_item_type(k) for k in kinds]}

    def items(
        _info: Any, first: int | None = None, after: str | None = None, **args: Any
    ) -> dict[str, Any]:
        return connection(_items_of(ctx, owner, args), first, after, lambda w: item_node(ctx, w))

    def one(_info: Any, iid: str) -> dict[str, Any] | None:
        found = _items_of(ctx, owner, {"iid": iid})
        return item_node(ctx, found[0]) if found else None

    return {
        "id": node_id,
        "fullPath": full_path,
        "fullName": full_name,
        "name": owner.name,
        "path": owner.path,
        "webUrl": url,
        "visibility": owner.visibility,
        "workItemTypes": types,
        "workItems": items,
        "workItem": one,
        "timelogs": _timelogs(ctx, owner),
    }


def _timelogs(ctx: Ctx, owner: Project | Group) -> Any:
    from .timelogs import timelogs_field  # the timelog nodes build on this module's nodes

    return timelogs_field(ctx, owner)


def item_node(ctx: Ctx, item: WorkItem) -> dict[str, Any]:
    state = ctx.state
    owner: Project | Group = (
        state.projects[item.project_id]
        if item.project_id is not None
        else state.groups[item.group_id]  # type: ignore[index]
    )

    def reference(_info: Any, full: bool = False) -> str:
        sigil = "&" if item.is_epic else "#"
        if not full:
            return f"{sigil}{item.iid}"
        path = (
            state.project_full_path(owner)
            if isinstance(owner, Project)
            else state.group_full_path(owner)
        )
        return f"{path}{sigil}{item.iid}"

    def widgets(_info: Any, onlyTypes: list[str] | None = None) -> list[dict[str, Any]]:
        built = widget_nodes(ctx, item)
        if onlyTypes:
            built = [w for w in built if w["type"] in onlyTypes]
        return built

    author = state.users.get(item.author_id)
    return {
        "id": gid("WorkItem", item.id),
        "iid": str(item.iid),
        "title": item.title,
        "description": item.description,
        "state": "OPEN" if item.state == "opened" else "CLOSED",
        "confidential": item.confidential,
        "webUrl": ctx.render.item_url(item),
        "reference": reference,
        "createdAt": time(item.created_at),
        "updatedAt": time(item.updated_at),
        "closedAt": time(item.closed_at),
        "author": user_core(ctx, author) if author else None,
        "workItemType": work_item_type(item.kind),
        "namespace": lambda _info: namespace_node(ctx, owner),
        "project": lambda _info: namespace_node(ctx, owner) if isinstance(owner, Project) else None,
        "widgets": widgets,
    }


def widget_nodes(ctx: Ctx, item: WorkItem) -> list[dict[str, Any]]:
    state = ctx.state
    labels = [state.labels[i] for i in item.label_ids if i in state.labels]
    parent = state.work_items.get(item.parent_id or 0)
    milestone = state.milestones.get(item.milestone_id or 0)
    assignees = [state.users[u] for u in item.assignee_ids if u in state.users]

    def children(_info: Any, first: int | None = None, after: str | None = None) -> dict[str, Any]:
        kids = [w for w in state.children(item) if state.can_see_issue(ctx.user, w)]
        kids.sort(key=lambda w: (w.relative_position, w.id))
        return connection(kids, first, after, lambda w: item_node(ctx, w))

    def label_connection(
        _info: Any, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return connection(labels, first, after, label_node)

    built: list[dict[str, Any]] = [
        {
            "__typename": "WorkItemWidgetDescription",
            "type": "DESCRIPTION",
            "description": item.description,
            "edited": item.last_edited_at is not None,
        },
        {
            "__typename": "WorkItemWidgetHierarchy",
            "type": "HIERARCHY",
            "parent": lambda _info: (
                item_node(ctx, parent) if parent and state.can_see_issue(ctx.user, parent) else None
            ),
            "hasChildren": bool(state.children(item)),
            "hasParent": parent is not None,
            "children": children,
        },
        {
            "__typename": "WorkItemWidgetLabels",
            "type": "LABELS",
            "allowsScopedLabels": state.has("scoped_labels"),
            "labels": label_connection,
        },
        {
            "__typename": "WorkItemWidgetAssignees",
            "type": "ASSIGNEES",
            "allowsMultipleAssignees": state.has("multiple_issue_assignees"),
            "assignees": {"count": len(assignees), "nodes": [user_core(ctx, u) for u in assignees]},
        },
        {
            "__typename": "WorkItemWidgetStartAndDueDate",
            "type": "START_AND_DUE_DATE",
            "startDate": day(item.start_date),
            "dueDate": day(item.due_date),
            "isFixed": item.start_date is not None or item.due_date is not None,
        },
    ]
    if state.since("linked_items_widget"):
        built.append(linked_items_widget(ctx, item))
    from .notes import notes_widget  # notes.py builds on this module's helpers

    built.append(notes_widget(ctx, item))
    if not item.is_epic:
        built.append(
            {
                "__typename": "WorkItemWidgetMilestone",
                "type": "MILESTONE",
                "milestone": milestone_node(ctx, milestone) if milestone else None,
            }
        )
    if state.has("issue_weights") and not item.is_epic:
        built.append(
            {"__typename": "WorkItemWidgetWeight", "type": "WEIGHT", "weight": item.weight}
        )
    return built


def linked_items_widget(ctx: Ctx, item: WorkItem) -> dict[str, Any]:
    """Related and blocking items, read from the issue-link store REST's /links uses too."""
    state = ctx.state
    seen = []
    for link in sorted(state.links_of(item), key=lambda k: k.id):
        other_id, link_type = seen_from(item, link)
        other = state.work_items.get(other_id)
        if other is not None and state.can_see_issue(ctx.user, other):
            seen.append((link, link_type, other))

    def node(entry: tuple[IssueLink, str, WorkItem]) -> dict[str, Any]:
        link, link_type, other = entry
        return {
            "linkId": gid("WorkItems::RelatedWorkItemLink", link.id),
            "linkType": link_type,
            "linkCreatedAt": time(link.created_at),
            "linkUpdatedAt": time(link.created_at),
            "workItemState": "OPEN" if other.state == "opened" else "CLOSED",
            "workItem": lambda _info: item_node(ctx, other),
        }

    def linked_items(
        _info: Any, filter: str | None = None, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        wanted = [e for e in seen if filter is None or e[1] == LINK_FILTERS[filter]]
        return connection(wanted, first, after, node)

    blocked_by = sum(
        1 for _, kind, other in seen if kind == "is_blocked_by" and other.state == "opened"
    )
    return {
        "__typename": "WorkItemWidgetLinkedItems",
        "type": "LINKED_ITEMS",
        "blocked": blocked_by > 0,
        "blockedByCount": blocked_by,
        "blockingCount": sum(1 for _, kind, _ in seen if kind == "blocks"),
        "linkedItems": linked_items,
    }
