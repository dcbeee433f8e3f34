"""Groups, subgroups and namespaces."""

from __future__ import annotations

import re
from typing import Any

from ..model import MAINTAINER, OWNER, Group, Member
from ..routing import Routes
from ..state import drop, now
from ..web import (
    ApiError,
    Ctx,
    Reply,
    bad_request,
    forbidden,
    not_found,
    paginate,
    ruby_hash,
)
from .common import find_group, need_group
from .custom_attributes import matching
from .projects import filter_projects, remove_project
from .uploads import set_avatar

api = Routes()

PATH_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$")
VISIBILITIES = ("private", "internal", "public")


def _visible(ctx: Ctx) -> list[Group]:
    return [g for g in ctx.state.groups.values() if ctx.state.can_see_group(ctx.user, g)]


def _order(ctx: Ctx, groups: list[Group]) -> list[Group]:
    order_by = ctx.params.str("order_by", "name")
    sort = ctx.params.str("sort", "asc")
    keys = {
        "name": lambda g: g.name.lower(),
        "path": lambda g: g.path.lower(),
        "id": lambda g: g.id,
        "similarity": lambda g: g.name.lower(),
    }
    return sorted(groups, key=keys.get(order_by or "name", keys["name"]), reverse=sort == "desc")


def _filter(ctx: Ctx, groups: list[Group]) -> list[Group]:
    p, state, viewer = ctx.params, ctx.state, ctx.user
    if p.has("search"):
        term = (p.str("search") or "").lower()
        groups = [g for g in groups if term in g.name.lower() or term in g.path.lower()]
    if p.bool("top_level_only"):
        groups = [g for g in groups if g.parent_id is None]
    if p.bool("owned"):
        groups = [g for g in groups if viewer and state.group_access(viewer, g) >= OWNER]
    min_access = p.int("min_access_level")
    if min_access is not None:
        groups = [g for g in groups if state.group_access(viewer, g) >= min_access]
    skip: set[int] = set(p.int_list("skip_groups") or [])
    return matching(ctx, "group", [g for g in groups if g.id not in skip])


@api.get("/groups")
def list_groups(ctx: Ctx) -> Reply:
    groups = _filter(ctx, _visible(ctx))
    if ctx.user is not None and not ctx.user.is_admin and not ctx.params.bool("all_available"):
        groups = [
            g
            for g in groups
            if ctx.state.group_access(ctx.user, g) > 0 or g.visibility != "private"
        ]
    return paginate(ctx, _order(ctx, groups), ctx.render.group)


@api.get("/groups/{id}")
def get_group(ctx: Ctx) -> dict[str, Any]:
    group = find_group(ctx)
    data = ctx.render.group(group, detail=True)
    if ctx.params.bool("with_projects", True):
        projects = ctx.state.projects_in(group, include_subgroups=False)
        data["projects"] = [
            ctx.render.project(p) for p in projects if ctx.state.can_see_project(ctx.user, p)
        ]
    return data


@api.post("/groups")
def create_group(ctx: Ctx) -> dict[str, Any]:
    user = ctx.me
    p, state = ctx.params, ctx.state
    p.require("name", "path")
    name, path = p.str("name") or "", p.str("path") or ""
    parent_id = p.int("parent_id")
    parent = state.groups.get(parent_id) if parent_id else None
    if parent_id and (parent is None or not state.can_see_group(user, parent)):
        raise not_found("Group")
    if parent is not None and state.group_access(user, parent) < MAINTAINER:
        raise forbidden()
    visibility = p.str("visibility", "private") or "private"
    if visibility not in VISIBILITIES:
        raise ApiError(400, "visibility does not have a valid value", key="error")
    errors: dict[str, list[str]] = {}
    if not PATH_RE.match(path):
        errors["path"] = ["can contain only letters, digits, '_', '-' and '.'."]
    siblings = [g for g in state.groups.values() if g.parent_id == (parent.id if parent else None)]
    if any(g.path.lower() == path.lower() for g in siblings) or (
        parent is None and state.user_by_username(path)
    ):
        errors["path"] = ["has already been taken"]
    if any(g.name == name for g in siblings):
        errors["name"] = ["has already been taken"]
    if errors:
        raise bad_request(f"Failed to save group {ruby_hash(errors)}")
    group = Group(
        id=state.next_id("namespace"),
        name=name,
        path=path,
        parent_id=parent.id if parent else None,
        created_at=now(),
        description=p.str("description", "") or "",
        visibility=visibility,
    )
    state.groups[group.id] = group
    group.avatar = set_avatar(ctx, "group", group.id, None)
    if parent is None or state.group_access(user, parent) < OWNER:
        state.members[("group", group.id, user.id)] = Member(
            "group", group.id, user.id, OWNER, now(), user.id
        )
    ctx.emitter.group_created(group)
    return ctx.render.group(group, detail=True)


@api.put("/groups/{id}")
def update_group(ctx: Ctx) -> dict[str, Any]:
    group = find_group(ctx)
    need_group(ctx, group, OWNER)
    p = ctx.params
    for name in ("name", "path", "description", "visibility"):
        if p.has(name):
            setattr(group, name, p.str(name) or "")
    group.avatar = set_avatar(ctx, "group", group.id, group.avatar)
    return ctx.render.group(group, detail=True)


@api.delete("/groups/{id}", status=202)
def delete_group(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    need_group(ctx, group, OWNER)
    state = ctx.state
    doomed = {g.id for g in state.descendants(group)}
    for project in state.projects_in(group, include_subgroups=True):
        remove_project(ctx, project)
    for gid in doomed:
        del state.groups[gid]
    drop(state.members, lambda m: m.source == "group" and m.source_id in doomed)
    drop(state.labels, lambda la: la.owner == "group" and la.owner_id in doomed)
    drop(state.milestones, lambda m: m.owner == "group" and m.owner_id in doomed)
    drop(state.work_items, lambda w: w.group_id in doomed)
    drop(state.hooks, lambda h: h.kind == "group" and h.owner_id in doomed)
    return Reply({"message": "202 Accepted"}, 202)


@api.get("/groups/{id}/subgroups")
def list_subgroups(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    children = [g for g in _visible(ctx) if g.parent_id == group.id]
    return paginate(ctx, _order(ctx, _filter(ctx, children)), ctx.render.group)


@api.get("/groups/{id}/descendant_groups")
def list_descendants(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    below = [g for g in ctx.state.descendants(group)[1:] if ctx.state.can_see_group(ctx.user, g)]
    return paginate(ctx, _order(ctx, _filter(ctx, below)), ctx.render.group)


@api.get("/groups/{id}/projects")
def list_group_projects(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    include = bool(ctx.params.bool("include_subgroups", False))
    projects = ctx.state.projects_in(group, include_subgroups=include)
    return paginate(ctx, filter_projects(ctx, projects), ctx.render.project)


def _namespace(ctx: Ctx, group: Group) -> dict[str, Any]:
    data = ctx.render.namespace_group(group)
    below = {g.id for g in ctx.state.descendants(group)}  # GL:doc/api/namespaces.md
    data["members_count_with_descendants"] = len(
        {uid for kind, source, uid in ctx.state.members if kind == "group" and source in below}
    )
    data["billable_members_count"] = 1
    data["plan"] = ctx.state.tier
    data["trial"] = False
    return data


@api.get("/namespaces")
def list_namespaces(ctx: Ctx) -> Reply:
    viewer = ctx.me
    state = ctx.state
    rows: list[dict[str, Any]] = [ctx.render.namespace_user(viewer)]
    groups = [g for g in state.groups.values() if state.group_access(viewer, g) > 0]
    rows += [_namespace(ctx, g) for g in sorted(groups, key=lambda g: g.id)]
    if ctx.params.has("search"):
        term = (ctx.params.str("search") or "").lower()
        rows = [r for r in rows if term in r["full_path"].lower() or term in r["name"].lower()]
    return paginate(ctx, rows, lambda row: row)


@api.get("/namespaces/{id}")
def get_namespace(ctx: Ctx) -> dict[str, Any]:
    key = ctx.path_id()
    state = ctx.state
    group = state.groups.get(int(key)) if key.isdigit() else state.group_by_path(key)
    if group is not None and state.can_see_group(ctx.user, group):
        return _namespace(ctx, group)
    user = state.user_by_namespace(int(key)) if key.isdigit() else state.user_by_username(key)
    if user is not None and ctx.user is not None:
        return ctx.render.namespace_user(user)
    raise not_found("Namespace")
