"""Legacy group epics REST, sharing one store with GraphQL work items.

Tiers (`GL:doc/api/epics.md`, `GL:doc/api/epic_links.md`, `GL:doc/api/linked_epics.md`): epics
are Premium and Ultimate (403 on Free); child epics, `parent_id` and the epic-links API are
Ultimate (403 on Premium: "If the Multi-level Epics feature is not available, a 403 status code
is returned"); related epics are Ultimate.
"""

from __future__ import annotations

from typing import Any

from ..model import OWNER, REPORTER, Group, IssueLink, WorkItem
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, forbidden, not_found, paginate
from ..workitems import HierarchyError, create_epic, group_label_ids, set_parent
from .common import find_group
from .issues import diff, exclusive, tracked
from .links import add_link, linked, linked_view
from .notes import find_epic_item

api = Routes()
BASE = "/groups/{id}/epics"


def _group(ctx: Ctx) -> Group:
    group = find_group(ctx)
    if not ctx.state.has("epics"):
        raise forbidden()
    return group


def _subepics(ctx: Ctx) -> None:
    """Multi-level epics are Ultimate: GL:doc/api/epic_links.md answers 403 below it."""
    if not ctx.state.has("subepics"):
        raise forbidden()


def _need_reporter(ctx: Ctx, group: Group) -> None:
    if ctx.state.group_access(ctx.me, group) < REPORTER:
        raise forbidden()


def _legacy(ctx: Ctx, legacy_id: int | None) -> WorkItem | None:
    if not legacy_id:
        return None
    epic = next((w for w in ctx.state.work_items.values() if w.legacy_epic_id == legacy_id), None)
    if epic is None:
        raise not_found("Epic")
    return epic


def _attach(ctx: Ctx, child: WorkItem, parent: WorkItem | None) -> None:
    try:
        set_parent(ctx, child, parent, ctx.me)
    except HierarchyError as error:
        raise ApiError(400, str(error)) from None


@api.get(BASE)
def list_epics(ctx: Ctx) -> Reply:
    group = _group(ctx)
    state, p = ctx.state, ctx.params
    groups = [group]
    if p.bool("include_descendant_groups", True):
        groups = state.descendants(group)
    if p.bool("include_ancestor_groups", False):
        groups += state.ancestors(group)[1:]
    ids = {g.id for g in groups}
    epics = [
        w
        for w in state.work_items.values()
        if w.is_epic and w.group_id in ids and state.can_see_issue(ctx.user, w)
    ]
    wanted = p.str("state", "all")
    if wanted in ("opened", "closed"):
        epics = [e for e in epics if e.state == wanted]
    if p.has("labels"):
        names = set(p.list("labels") or [])
        epics = [e for e in epics if names <= {state.labels[i].title for i in e.label_ids}]
    if p.has("author_id"):
        epics = [e for e in epics if e.author_id == p.int("author_id")]
    if p.has("search"):
        term = (p.str("search") or "").lower()
        epics = [e for e in epics if term in f"{e.title} {e.description}".lower()]
    if p.has("iids"):
        iids: list[int] = p.int_list("iids") or []
        epics = [e for e in epics if e.iid in iids]
    order_by = p.str("order_by", "created_at") or "created_at"
    keys = {
        "created_at": lambda e: (e.created_at, e.id),
        "updated_at": lambda e: (e.updated_at, e.id),
        "title": lambda e: (e.title.lower(), e.id),
    }
    epics.sort(
        key=keys.get(order_by, keys["created_at"]),
        reverse=(p.str("sort", "desc") or "desc") != "asc",
    )
    return paginate(ctx, epics, ctx.render.epic)


@api.get(BASE + "/{epic_iid}")
def get_epic(ctx: Ctx) -> dict[str, Any]:
    _group(ctx)
    return ctx.render.epic(find_epic_item(ctx))


@api.post(BASE)
def create_group_epic(ctx: Ctx) -> dict[str, Any]:
    group = _group(ctx)
    _need_reporter(ctx, group)
    p, user = ctx.params, ctx.me
    p.require("title")
    if p.raw("parent_id") not in (None, ""):
        _subepics(ctx)
    epic = create_epic(
        ctx,
        group,
        user,
        p.str("title") or "",
        description=p.str("description", "") or "",
        label_ids=exclusive(ctx, group_label_ids(ctx, group, p.list("labels") or [], user)),
        confidential=bool(p.bool("confidential", False)),
        start_date=p.date("start_date_fixed") or p.date("start_date"),
        due_date=p.date("due_date_fixed") or p.date("end_date") or p.date("due_date"),
    )
    parent = _legacy(ctx, p.int("parent_id"))
    if parent is not None:
        _attach(ctx, epic, parent)
    ctx.emitter.issue(epic, "open", user, {})
    return ctx.render.epic(epic)


@api.put(BASE + "/{epic_iid}")
def update_group_epic(ctx: Ctx) -> dict[str, Any]:
    group = _group(ctx)
    epic = find_epic_item(ctx)
    user = ctx.me
    if not ctx.state.can_edit_item(user, epic):
        raise forbidden()
    p = ctx.params
    before = tracked(ctx, epic)
    if p.has("title"):
        epic.title = p.str("title") or epic.title
    if p.has("description"):
        epic.description = p.str("description") or ""
    if p.has("confidential"):
        epic.confidential = bool(p.bool("confidential"))
    if p.has("labels"):
        epic.label_ids = exclusive(ctx, group_label_ids(ctx, group, p.list("labels") or [], user))
    if p.has("add_labels"):
        extra = group_label_ids(ctx, group, p.list("add_labels") or [], user)
        epic.label_ids = exclusive(ctx, [i for i in epic.label_ids if i not in extra] + extra)
    if p.has("remove_labels"):
        gone = set(p.list("remove_labels") or [])
        epic.label_ids = [i for i in epic.label_ids if ctx.state.labels[i].title not in gone]
    for name in ("start_date_fixed", "start_date"):
        if p.has(name):
            epic.start_date = p.date(name)
    for name in ("due_date_fixed", "end_date", "due_date"):
        if p.has(name):
            epic.due_date = p.date(name)
    if p.has("parent_id"):
        _subepics(ctx)
        _attach(ctx, epic, _legacy(ctx, p.int("parent_id")))
    action = "update"
    event = p.str("state_event")
    if event == "close" and epic.state != "closed":
        epic.state, epic.closed_at, epic.closed_by_id, action = "closed", now(), user.id, "close"
    elif event == "reopen" and epic.state == "closed":
        epic.state, epic.closed_at, action = "opened", None, "reopen"
    after = tracked(ctx, epic)
    if after != before:
        epic.updated_at, epic.updated_by_id = now(), user.id
        ctx.emitter.issue(epic, action, user, diff(before, tracked(ctx, epic)))
    return ctx.render.epic(epic)


@api.delete(BASE + "/{epic_iid}")
def delete_group_epic(ctx: Ctx) -> Reply:
    group = _group(ctx)
    epic = find_epic_item(ctx)
    if ctx.state.group_access(ctx.me, group) < OWNER:
        raise forbidden()
    for child in ctx.state.children(epic):
        child.parent_id, child.epic_link_id = None, None
    del ctx.state.work_items[epic.id]
    return Reply(None, 204)


def _epic_issue(ctx: Ctx, epic: WorkItem, issue: WorkItem) -> dict[str, Any]:
    data = ctx.render.issue(issue)
    data["epic_issue_id"] = issue.epic_link_id
    data["relative_position"] = issue.relative_position
    return data


def _epic_issues(ctx: Ctx, epic: WorkItem) -> list[WorkItem]:
    state = ctx.state
    return sorted(
        (w for w in state.children(epic) if not w.is_epic and state.can_see_issue(ctx.user, w)),
        key=lambda w: (w.relative_position, w.id),
    )


@api.get(BASE + "/{epic_iid}/issues")
def list_epic_issues(ctx: Ctx) -> Reply:
    _group(ctx)
    epic = find_epic_item(ctx)
    return paginate(ctx, _epic_issues(ctx, epic), lambda w: _epic_issue(ctx, epic, w))


@api.post(BASE + "/{epic_iid}/issues/{issue_id}")
def add_epic_issue(ctx: Ctx) -> dict[str, Any]:
    group = _group(ctx)
    epic = find_epic_item(ctx)
    _need_reporter(ctx, group)
    issue = ctx.state.work_items.get(ctx.path_int("issue_id"))
    if issue is None or issue.is_epic or not ctx.state.can_see_issue(ctx.user, issue):
        raise not_found("Issue")
    if issue.parent_id == epic.id:
        raise ApiError(409, "Issue(s) already assigned")
    _attach(ctx, issue, epic)
    return {
        "id": issue.epic_link_id,
        "epic": ctx.render.epic(epic),
        "issue": ctx.render.issue(issue),
    }


def _find_link(ctx: Ctx, epic: WorkItem) -> WorkItem:
    link_id = ctx.path_int("epic_issue_id")
    issue = next((w for w in ctx.state.children(epic) if w.epic_link_id == link_id), None)
    if issue is None:
        raise not_found("EpicIssue")
    return issue


@api.delete(BASE + "/{epic_iid}/issues/{epic_issue_id}", status=200)
def remove_epic_issue(ctx: Ctx) -> dict[str, Any]:
    group = _group(ctx)
    epic = find_epic_item(ctx)
    _need_reporter(ctx, group)
    issue = _find_link(ctx, epic)
    body = {"id": issue.epic_link_id, "epic": ctx.render.epic(epic)}
    _attach(ctx, issue, None)
    body["issue"] = ctx.render.issue(issue)
    return body


@api.put(BASE + "/{epic_iid}/issues/{epic_issue_id}")
def move_epic_issue(ctx: Ctx) -> list[dict[str, Any]]:
    group = _group(ctx)
    epic = find_epic_item(ctx)
    _need_reporter(ctx, group)
    moved = _find_link(ctx, epic)
    p = ctx.params
    ordered = [w for w in _epic_issues(ctx, epic) if w is not moved]
    anchor_id = p.int("move_before_id") or p.int("move_after_id")
    anchor = next((i for i, w in enumerate(ordered) if w.epic_link_id == anchor_id), None)
    if anchor is None:
        ordered.append(moved)
    else:
        ordered.insert(anchor + (1 if p.has("move_after_id") else 0), moved)
    for index, item in enumerate(ordered):
        item.relative_position = (index + 1) * 513
    return [_epic_issue(ctx, epic, w) for w in ordered]


@api.get(BASE + "/{epic_iid}/epics")
def list_child_epics(ctx: Ctx) -> list[dict[str, Any]]:
    _group(ctx)
    _subepics(ctx)
    epic = find_epic_item(ctx)
    children = sorted((w for w in ctx.state.children(epic) if w.is_epic), key=lambda w: w.id)
    return [ctx.render.epic(w) for w in children]


def _epic_links(ctx: Ctx) -> tuple[Group, WorkItem]:
    """The group and parent epic of an epic-links write (Ultimate; Reporter)."""
    group = _group(ctx)
    _subepics(ctx)
    epic = find_epic_item(ctx)
    _need_reporter(ctx, group)
    return group, epic


@api.post(BASE + "/{epic_iid}/epics/{child_epic_id}")
def add_child_epic(ctx: Ctx) -> dict[str, Any]:
    _, epic = _epic_links(ctx)
    child = _legacy(ctx, ctx.path_int("child_epic_id"))
    assert child is not None
    _attach(ctx, child, epic)
    return ctx.render.epic(child)


@api.delete(BASE + "/{epic_iid}/epics/{child_epic_id}", status=200)
def remove_child_epic(ctx: Ctx) -> dict[str, Any]:
    _, epic = _epic_links(ctx)
    child = _legacy(ctx, ctx.path_int("child_epic_id"))
    if child is None or child.parent_id != epic.id:
        raise not_found("Epic")
    _attach(ctx, child, None)
    return ctx.render.epic(child)


@api.post(BASE + "/{epic_iid}/epics")
def create_child_epic(ctx: Ctx) -> dict[str, Any]:
    """Create and assign a child epic; the answer is the short LinkedEpic shape of the doc."""
    group, parent = _epic_links(ctx)
    ctx.params.require("title")
    confidential = ctx.params.bool("confidential", parent.confidential)
    child = create_epic(
        ctx, group, ctx.me, ctx.params.str("title") or "", confidential=bool(confidential)
    )
    _attach(ctx, child, parent)
    ctx.emitter.issue(child, "open", ctx.me, {})
    url = f"{ctx.render.group_url(group)}/-/epics"
    return {
        "id": child.legacy_epic_id,
        "iid": child.iid,
        "title": child.title,
        "group_id": group.id,
        "parent_id": parent.legacy_epic_id,
        "has_children": False,
        "has_issues": False,
        "reference": f"&{child.iid}",
        "url": f"{url}/{child.iid}",
        "relation_url": f"{url}/{parent.iid}/links/{child.legacy_epic_id}",
    }


def _related(ctx: Ctx) -> tuple[Group, WorkItem]:
    """Linked epics are Ultimate (GL:doc/api/linked_epics.md): 403 below it."""
    group = _group(ctx)
    if not ctx.state.has("related_epics"):
        raise forbidden()
    return group, find_epic_item(ctx)


def _related_epic(ctx: Ctx, epic: WorkItem, link: IssueLink) -> dict[str, Any]:
    return linked_view(ctx, epic, link, ctx.render.epic, "related_epic_link_id")


@api.get(BASE + "/{epic_iid}/related_epics")
def list_related_epics(ctx: Ctx) -> list[dict[str, Any]]:
    _, epic = _related(ctx)
    links = sorted(ctx.state.links_of(epic), key=lambda k: k.id)
    return [_related_epic(ctx, epic, link) for link in links]


@api.post(BASE + "/{epic_iid}/related_epics")
def create_related_epic(ctx: Ctx) -> dict[str, Any]:
    group, epic = _related(ctx)
    _need_reporter(ctx, group)
    p, state = ctx.params, ctx.state
    p.require("target_group_id", "target_epic_iid")
    key = p.str("target_group_id") or ""
    target_group = state.groups.get(int(key)) if key.isdigit() else state.group_by_path(key)
    if target_group is None or not state.can_see_group(ctx.user, target_group):
        raise not_found("Group")
    target = state.epic_by_iid(target_group, p.int("target_epic_iid") or 0)
    if target is None:
        raise not_found("Epic")
    link_type = p.str("link_type", "relates_to") or "relates_to"
    if link_type not in ("relates_to", "blocks", "is_blocked_by"):
        raise ApiError(400, "link_type does not have a valid value", key="error")
    if linked(state, epic, target):
        raise ApiError(409, "Epic(s) already assigned")
    link = add_link(state, epic, target, link_type)
    return {
        "id": link.id,
        "source_epic": ctx.render.epic(epic),
        "target_epic": ctx.render.epic(target),
        "link_type": link_type,
        "created_at": link.created_at,
        "updated_at": link.created_at,
    }


@api.delete(BASE + "/{epic_iid}/related_epics/{related_epic_link_id}", status=200)
def delete_related_epic(ctx: Ctx) -> dict[str, Any]:
    group, epic = _related(ctx)
    _need_reporter(ctx, group)
    link = ctx.state.links.get(ctx.path_int("related_epic_link_id"))
    if link is None or epic.id not in (link.source_id, link.target_id):
        raise not_found("Related Epic Link")
    body = {
        "id": link.id,
        "source_epic": ctx.render.epic(ctx.state.work_items[link.source_id]),
        "target_epic": ctx.render.epic(ctx.state.work_items[link.target_id]),
        "link_type": link.link_type,
    }
    del ctx.state.links[link.id]
    return body
