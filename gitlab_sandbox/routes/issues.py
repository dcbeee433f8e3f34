"""Issues (and tasks): create, read, list with the documented filters, update, close, delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ..model import DEVELOPER, GUEST, OWNER, Project, User, WorkItem
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, forbidden, not_found, paginate
from ..webhooks.payloads import hook_label, zulu
from .common import find_group, find_issue, find_project, need_project
from .labels import create_label

api = Routes()

ISSUE_TYPES = ("issue", "incident", "test_case", "task")
DEFAULT_LABEL_COLOR = "#6699cc"


def scope_of(title: str) -> str | None:
    return title.rsplit("::", 1)[0] if "::" in title else None


def resolve_labels(ctx: Ctx, project: Project, names: list[str], user: User) -> list[int]:
    """Label ids for names; unknown names become project labels when the user may make them."""
    state = ctx.state
    ids: list[int] = []
    for name in names:
        label = state.find_label(project, None, name)
        if label is None:
            if state.project_access(user, project) < DEVELOPER:
                continue
            label = create_label(ctx, "project", project, name, DEFAULT_LABEL_COLOR, None, None)
        if label.id not in ids:
            ids.append(label.id)
    return exclusive(ctx, ids)


def exclusive(ctx: Ctx, ids: list[int]) -> list[int]:
    """On premium, scoped labels (`key::value`) are exclusive: the last one of a scope wins."""
    if not ctx.state.has("scoped_labels"):
        return ids
    kept: list[int] = []
    for label_id in reversed(ids):
        scope = scope_of(ctx.state.labels[label_id].title)
        if scope is None or all(scope_of(ctx.state.labels[k].title) != scope for k in kept):
            kept.append(label_id)
    return list(reversed(kept))


def _milestone_in_scope(ctx: Ctx, project: Project, milestone_id: int | None) -> int | None:
    if not milestone_id:
        return None
    state = ctx.state
    milestone = state.milestones.get(milestone_id)
    if milestone is None:
        return None
    if milestone.owner == "project" and milestone.owner_id == project.id:
        return milestone.id
    groups = {g.id for g in state.project_ancestor_groups(project)}
    return milestone.id if milestone.owner == "group" and milestone.owner_id in groups else None


def _assignees(ctx: Ctx, ids: list[int]) -> list[int]:
    found = [i for i in dict.fromkeys(ids) if i in ctx.state.users]
    return found if ctx.state.has("multiple_issue_assignees") else found[:1]


def _epic_parent(ctx: Ctx, project: Project) -> int | None:
    """The epic work item named by `epic_id` (legacy id) or `epic_iid`, premium only."""
    p, state = ctx.params, ctx.state
    if not state.has("epics"):
        return None
    if p.has("epic_id") and p.raw("epic_id") not in (None, "", 0, "0"):
        legacy = p.int("epic_id")
        epic = next((w for w in state.work_items.values() if w.legacy_epic_id == legacy), None)
        if epic is None:
            raise not_found("Epic")
        return epic.id
    if p.has("epic_iid") and p.raw("epic_iid") not in (None, ""):
        group = state.project_group(project)
        epic = state.epic_by_iid(group, p.int("epic_iid") or 0) if group else None
        if epic is None:
            raise not_found("Epic")
        return epic.id
    return None


HEALTH_STATUSES = ("on_track", "needs_attention", "at_risk")


def health_status(ctx: Ctx) -> str | None:
    """`health_status` of a create or update: Ultimate only (GL:doc/api/issues.md "Tier:
    Ultimate" on the attribute); below it the attribute is ignored, as unknown ones are."""
    value = ctx.params.str("health_status")
    if not value or not ctx.state.has("issuable_health_status"):
        return None
    if value not in HEALTH_STATUSES:
        raise ApiError(400, "health_status does not have a valid value", key="error")
    return value


def tracked(ctx: Ctx, item: WorkItem) -> dict[str, Any]:
    """The attributes whose change a webhook reports under `changes`."""
    return {
        "title": item.title,
        "description": item.description,
        "state_id": 1 if item.state == "opened" else 2,
        "milestone_id": item.milestone_id,
        "confidential": item.confidential,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "weight": item.weight,
        "closed_at": zulu(item.closed_at),
        "updated_by_id": item.updated_by_id,
        "updated_at": zulu(item.updated_at),
        "labels": [
            hook_label(ctx.state.labels[i]) for i in item.label_ids if i in ctx.state.labels
        ],
        "assignees": [
            {"id": u, "name": ctx.state.users[u].name, "username": ctx.state.users[u].username}
            for u in item.assignee_ids
            if u in ctx.state.users
        ],
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"previous": before[key], "current": after[key]}
        for key in after
        if before.get(key) != after[key]
    }


def create_issue(ctx: Ctx, project: Project, user: User) -> WorkItem:
    p, state = ctx.params, ctx.state
    p.require("title")
    issue_type = p.str("issue_type", "issue") or "issue"
    if issue_type not in ISSUE_TYPES:
        raise ApiError(400, "issue_type does not have a valid value", key="error")
    moment = p.datetime("created_at") if user.is_admin and p.has("created_at") else now()
    assert moment is not None
    iid = p.int("iid") if p.has("iid") and state.project_access(user, project) >= OWNER else None
    if iid is not None and state.issue_by_iid(project, iid) is not None:
        raise ApiError(409, "Issue iid already exists")
    if iid is None:
        iid = project.next_issue_iid
    project.next_issue_iid = max(project.next_issue_iid, iid + 1)
    single = p.int("assignee_id")
    assignee_ids = p.int_list("assignee_ids") or ([single] if single else [])
    item = WorkItem(
        id=state.next_id("work_item"),
        iid=iid,
        kind=issue_type,
        title=p.str("title") or "",
        author_id=user.id,
        created_at=moment,
        updated_at=moment,
        project_id=project.id,
        description=p.str("description", "") or "",
        label_ids=resolve_labels(ctx, project, p.list("labels") or [], user),
        assignee_ids=_assignees(ctx, assignee_ids),
        milestone_id=_milestone_in_scope(ctx, project, p.int("milestone_id")),
        weight=p.int("weight") if state.has("issue_weights") else None,
        health_status=health_status(ctx),
        confidential=bool(p.bool("confidential", False)),
        discussion_locked=p.bool("discussion_locked"),
        due_date=p.date("due_date"),
        relative_position=state.next_id("position") * 513,
        parent_id=_epic_parent(ctx, project),
    )
    state.work_items[item.id] = item
    project.last_activity_at = moment
    empty = WorkItem(0, 0, item.kind, "", 0, moment, moment)
    changes = diff(tracked(ctx, empty), tracked(ctx, item))
    changes.pop("state_id", None)
    changes["updated_by_id"] = {"previous": None, "current": user.id}
    changes["updated_at"] = {"previous": None, "current": zulu(moment)}
    ctx.emitter.issue(item, "open", user, changes)
    return item


def update_issue(ctx: Ctx, item: WorkItem, user: User) -> None:
    p, state = ctx.params, ctx.state
    project = state.projects[item.project_id]  # type: ignore[index]
    before = tracked(ctx, item)
    if p.has("title"):
        if not (p.str("title") or "").strip():
            raise ApiError(400, {"title": ["can't be blank"]})
        item.title = p.str("title") or item.title
    if p.has("description"):
        item.description = p.str("description") or ""
    if p.has("confidential"):
        item.confidential = bool(p.bool("confidential"))
    if p.has("discussion_locked"):
        item.discussion_locked = p.bool("discussion_locked")
    if p.has("due_date"):
        item.due_date = p.date("due_date")
    if p.has("weight") and state.has("issue_weights"):
        item.weight = p.int("weight")
    if p.has("health_status") and state.has("issuable_health_status"):
        item.health_status = health_status(ctx)
    if p.has("issue_type"):
        kind = p.str("issue_type") or "issue"
        if kind not in ISSUE_TYPES:
            raise ApiError(400, "issue_type does not have a valid value", key="error")
        item.kind = kind
    if p.has("milestone_id"):
        item.milestone_id = _milestone_in_scope(ctx, project, p.int("milestone_id"))
    if p.has("assignee_ids") or p.has("assignee_id"):
        ids = p.int_list("assignee_ids") if p.has("assignee_ids") else [p.int("assignee_id") or 0]
        item.assignee_ids = _assignees(ctx, [i for i in ids or [] if i])
    if p.has("labels"):
        item.label_ids = resolve_labels(ctx, project, p.list("labels") or [], user)
    if p.has("add_labels"):
        extra = resolve_labels(ctx, project, p.list("add_labels") or [], user)
        item.label_ids = exclusive(ctx, [i for i in item.label_ids if i not in extra] + extra)
    if p.has("remove_labels"):
        gone = set(p.list("remove_labels") or [])
        item.label_ids = [i for i in item.label_ids if state.labels[i].title not in gone]
    if p.has("epic_id") or p.has("epic_iid"):
        item.parent_id = _epic_parent(ctx, project)
    event = p.str("state_event")
    action = "update"
    if event == "close" and item.state != "closed":
        item.state, item.closed_at, item.closed_by_id = "closed", now(), user.id
        action = "close"
    elif event == "reopen" and item.state == "closed":
        item.state, item.closed_at, item.closed_by_id = "opened", None, None
        action = "reopen"
    after = tracked(ctx, item)
    if after == before:
        return
    item.updated_at = now()
    item.updated_by_id = user.id
    if before["title"] != after["title"] or before["description"] != after["description"]:
        item.last_edited_at, item.last_edited_by_id = item.updated_at, user.id
    project.last_activity_at = item.updated_at
    ctx.emitter.issue(item, action, user, diff(before, tracked(ctx, item)))


def _by_label(ctx: Ctx, items: list[WorkItem], names: list[str], negate: bool) -> list[WorkItem]:
    state = ctx.state
    lowered = [n.lower() for n in names]
    if not negate and lowered == ["none"]:
        return [w for w in items if not w.label_ids]
    if not negate and lowered == ["any"]:
        return [w for w in items if w.label_ids]

    def titles(item: WorkItem) -> set[str]:
        return {state.labels[i].title for i in item.label_ids if i in state.labels}

    if negate:
        return [w for w in items if not set(names) & titles(w)]
    return [w for w in items if set(names) <= titles(w)]


def filter_issues(ctx: Ctx, items: list[WorkItem], *, default_scope: str) -> list[WorkItem]:
    p, state, viewer = ctx.params, ctx.state, ctx.user
    items = [w for w in items if not w.is_epic and state.can_see_issue(viewer, w)]
    wanted_state = p.str("state", "all")
    if wanted_state in ("opened", "closed"):
        items = [w for w in items if w.state == wanted_state]
    scope = p.str("scope", default_scope)
    if viewer is not None and scope in ("created_by_me", "created-by-me"):
        items = [w for w in items if w.author_id == viewer.id]
    elif viewer is not None and scope in ("assigned_to_me", "assigned-to-me"):
        items = [w for w in items if viewer.id in w.assignee_ids]
    if p.has("labels"):
        items = _by_label(ctx, items, p.list("labels") or [], negate=False)
    milestone = p.str("milestone")
    if milestone is not None:
        if milestone.lower() in ("none", "no milestone"):
            items = [w for w in items if w.milestone_id is None]
        elif milestone.lower() == "any":
            items = [w for w in items if w.milestone_id is not None]
        else:
            items = [
                w
                for w in items
                if w.milestone_id and state.milestones[w.milestone_id].title == milestone
            ]
    milestone_id = p.str("milestone_id")
    if milestone_id is not None:
        if milestone_id.lower() == "none":
            items = [w for w in items if w.milestone_id is None]
        elif milestone_id.lower() == "any":
            items = [w for w in items if w.milestone_id is not None]
        elif milestone_id.isdigit():
            items = [w for w in items if w.milestone_id == int(milestone_id)]
    iids = p.int_list("iids")
    if iids:
        items = [w for w in items if w.iid in iids]
    if p.has("author_id"):
        items = [w for w in items if w.author_id == p.int("author_id")]
    if p.has("author_username"):
        author = state.user_by_username(p.str("author_username") or "")
        items = [w for w in items if author and w.author_id == author.id]
    assignee = p.str("assignee_id")
    if assignee is not None:
        if assignee.lower() == "none":
            items = [w for w in items if not w.assignee_ids]
        elif assignee.lower() == "any":
            items = [w for w in items if w.assignee_ids]
        else:
            items = [w for w in items if p.int("assignee_id") in w.assignee_ids]
    if p.has("assignee_username"):
        names = p.list("assignee_username") or []
        ids = {u.id for u in state.users.values() if u.username in names}
        items = [w for w in items if ids & set(w.assignee_ids)]
    if p.has("search"):
        term = (p.str("search") or "").lower()
        fields = p.list("in") or ["title", "description"]
        items = [
            w
            for w in items
            if any(
                term in getattr(w, f, "").lower() for f in fields if f in ("title", "description")
            )
        ]
    if p.has("confidential"):
        items = [w for w in items if w.confidential == p.bool("confidential")]
    if p.has("issue_type"):
        items = [w for w in items if w.kind == p.str("issue_type")]
    if p.has("weight") and state.has("issue_weights"):
        weight = p.str("weight") or ""
        if weight.lower() == "none":
            items = [w for w in items if w.weight is None]
        elif weight.lower() == "any":
            items = [w for w in items if w.weight is not None]
        else:
            items = [w for w in items if w.weight == p.int("weight")]
    if p.has("epic_id") and state.has("epics"):
        epic_id = p.str("epic_id") or ""
        if epic_id.lower() == "none":
            items = [w for w in items if not _epic_of(ctx, w)]
        elif epic_id.lower() == "any":
            items = [w for w in items if _epic_of(ctx, w)]
        else:
            items = [
                w for w in items if (e := _epic_of(ctx, w)) and e.legacy_epic_id == p.int("epic_id")
            ]
    for name, attr, later in (
        ("created_after", "created_at", True),
        ("created_before", "created_at", False),
        ("updated_after", "updated_at", True),
        ("updated_before", "updated_at", False),
    ):
        moment = p.datetime(name)
        if moment is not None:
            items = [w for w in items if (getattr(w, attr) >= moment) == later]
    negated = p.raw("not")
    if isinstance(negated, dict) and "labels" in negated:
        names = negated["labels"]
        names = names.split(",") if isinstance(names, str) else list(names)
        items = _by_label(ctx, items, names, negate=True)
    if p.has("not[labels]"):
        items = _by_label(ctx, items, (p.str("not[labels]") or "").split(","), negate=True)
    return _order(ctx, items)


def _epic_of(ctx: Ctx, item: WorkItem) -> WorkItem | None:
    parent = ctx.state.work_items.get(item.parent_id or 0)
    return parent if parent is not None and parent.is_epic else None


def _order(ctx: Ctx, items: list[WorkItem]) -> list[WorkItem]:
    p = ctx.params
    order_by = p.str("order_by", "created_at") or "created_at"
    state = ctx.state
    far = date.max

    keys = {
        "created_at": lambda w: (w.created_at, w.id),
        "updated_at": lambda w: (w.updated_at, w.id),
        "title": lambda w: (w.title.lower(), w.id),
        "due_date": lambda w: (w.due_date or far, w.id),
        "relative_position": lambda w: (w.relative_position, w.id),
        "weight": lambda w: (w.weight if w.weight is not None else 1 << 30, w.id),
        "milestone_due": lambda w: (
            (state.milestones[w.milestone_id].due_date or far) if w.milestone_id else far,
            w.id,
        ),
        "popularity": lambda w: (len(state.awards_on("Issue", w.id)), w.id),
        "priority": lambda w: (w.created_at, w.id),
        "label_priority": lambda w: (w.created_at, w.id),
    }
    sort = p.str("sort", "desc") or "desc"
    return sorted(items, key=keys.get(order_by, keys["created_at"]), reverse=sort != "asc")


def _render(ctx: Ctx) -> Callable[[WorkItem], dict[str, Any]]:
    ctx.render.with_label_details = bool(ctx.params.bool("with_labels_details"))
    return ctx.render.issue


@api.get("/issues")
def list_all_issues(ctx: Ctx) -> Reply:
    state = ctx.state
    items = [
        w
        for w in state.work_items.values()
        if w.project_id is not None
        and state.can_see_project(ctx.user, state.projects[w.project_id])
    ]
    default = "created_by_me" if ctx.user is not None else "all"
    return paginate(ctx, filter_issues(ctx, items, default_scope=default), _render(ctx))


@api.get("/issues/{issue_id}")
def get_issue_by_id(ctx: Ctx) -> dict[str, Any]:
    user = ctx.me
    if not user.is_admin:
        raise forbidden()
    item = ctx.state.work_items.get(ctx.path_int("issue_id"))
    if item is None or item.is_epic:
        raise not_found("Issue")
    return _render(ctx)(item)


@api.get("/groups/{id}/issues")
def list_group_issues(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    state = ctx.state
    projects = {
        p.id
        for p in state.projects_in(group, include_subgroups=True)
        if state.can_see_project(ctx.user, p)
    }
    items = [w for w in state.work_items.values() if w.project_id in projects]
    return paginate(ctx, filter_issues(ctx, items, default_scope="all"), _render(ctx))


@api.get("/projects/{id}/issues")
def list_project_issues(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    items = [w for w in ctx.state.work_items.values() if w.project_id == project.id]
    issues = filter_issues(ctx, items, default_scope="all")
    return paginate(ctx, issues, _render(ctx), keyset=True)


@api.post("/projects/{id}/issues")
def create_project_issue(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    user = need_project(ctx, project, GUEST) if project.visibility == "private" else ctx.me
    if not project.issues_enabled:
        raise forbidden()
    return _render(ctx)(create_issue(ctx, project, user))


@api.get("/projects/{id}/issues/{issue_iid}")
def get_project_issue(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    return _render(ctx)(find_issue(ctx, project))


@api.put("/projects/{id}/issues/{issue_iid}")
def update_project_issue(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    item = find_issue(ctx, project)
    user = ctx.me
    if not ctx.state.can_edit_item(user, item):
        raise forbidden()
    update_issue(ctx, item, user)
    return _render(ctx)(item)


@api.delete("/projects/{id}/issues/{issue_iid}")
def delete_project_issue(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    item = find_issue(ctx, project)
    need_project(ctx, project, OWNER)
    state = ctx.state
    for child in state.children(item):
        child.parent_id = None
    for note in state.notes_of(item):
        del state.notes[note.id]
    for link in state.links_of(item):
        del state.links[link.id]
    del state.work_items[item.id]
    return Reply(None, 204)


@api.get("/projects/{id}/issues/{issue_iid}/participants")
def issue_participants(ctx: Ctx) -> list[dict[str, Any]]:
    project = find_project(ctx)
    item = find_issue(ctx, project)
    ids = [item.author_id, *item.assignee_ids, *(n.author_id for n in ctx.state.notes_of(item))]
    return [ctx.render.user(ctx.state.users[i]) for i in dict.fromkeys(ids) if i in ctx.state.users]


@api.get("/projects/{id}/issues/{issue_iid}/related_merge_requests")
def related_merge_requests(ctx: Ctx) -> Reply:
    find_issue(ctx, find_project(ctx))
    return paginate(ctx, [], lambda row: row)


@api.get("/projects/{id}/issues/{issue_iid}/closed_by")
def closed_by(ctx: Ctx) -> Reply:
    find_issue(ctx, find_project(ctx))
    return paginate(ctx, [], lambda row: row)


def _statistics(ctx: Ctx, items: list[WorkItem]) -> dict[str, Any]:
    visible = [w for w in items if not w.is_epic and ctx.state.can_see_issue(ctx.user, w)]
    opened = sum(1 for w in visible if w.state == "opened")
    counts = {"all": len(visible), "closed": len(visible) - opened, "opened": opened}
    return {"statistics": {"counts": counts}}


@api.get("/projects/{id}/issues_statistics")
def project_issue_statistics(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    items = [w for w in ctx.state.work_items.values() if w.project_id == project.id]
    return _statistics(ctx, filter_issues(ctx, items, default_scope="all"))


@api.get("/groups/{id}/issues_statistics")
def group_issue_statistics(ctx: Ctx) -> dict[str, Any]:
    group = find_group(ctx)
    projects = {p.id for p in ctx.state.projects_in(group, include_subgroups=True)}
    items = [w for w in ctx.state.work_items.values() if w.project_id in projects]
    return _statistics(ctx, filter_issues(ctx, items, default_scope="all"))


def _subscription(ctx: Ctx, subscribe: bool) -> Reply:
    item = find_issue(ctx, find_project(ctx))
    user = ctx.me
    if (user.id in item.subscribers) == subscribe:
        return Reply(None, 304)
    if subscribe:
        item.subscribers.add(user.id)
    else:
        item.subscribers.discard(user.id)
    return Reply(_render(ctx)(item), 201)


@api.post("/projects/{id}/issues/{issue_iid}/subscribe")
def subscribe(ctx: Ctx) -> Reply:
    return _subscription(ctx, True)


@api.post("/projects/{id}/issues/{issue_iid}/unsubscribe")
def unsubscribe(ctx: Ctx) -> Reply:
    return _subscription(ctx, False)
