"""Moving and copying: project and group transfers, forks, stars, group sharing, the groups
of a project, and whether a namespace path is free.

Pages: `GL:doc/api/projects.md` ("Transfer a project to a new namespace", "Fork a project",
"Star a project", "List groups of a project"), `GL:doc/api/groups.md` ("Transfer a group",
"Share groups with groups"), `GL:doc/api/namespaces.md` ("Verify namespace availability").
"""

from __future__ import annotations

from typing import Any

from ..model import DEVELOPER, MAINTAINER, OWNER, Group, Member, Project, User
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, forbidden, not_found, paginate
from .common import find_group, find_project, need_group, need_project, need_user

api = Routes()


# -- namespaces ------------------------------------------------------------------------------


def _namespace_target(ctx: Ctx, key: str) -> tuple[str, int, Group | None]:
    """(kind, namespace id, group) of a namespace given by id or full path."""
    state = ctx.state
    group = state.groups.get(int(key)) if key.isdigit() else state.group_by_path(key)
    if group is not None and state.can_see_group(ctx.user, group):
        return "group", group.id, group
    user = state.user_by_namespace(int(key)) if key.isdigit() else state.user_by_username(key)
    if user is not None:
        return "user", user.namespace_id, None
    raise not_found("Namespace")


def _taken(ctx: Ctx, kind: str, namespace_id: int, project: Project) -> bool:
    return any(
        p.id != project.id
        and p.namespace_kind == kind
        and p.namespace_id == namespace_id
        and (p.path.lower() == project.path.lower() or p.name == project.name)
        for p in ctx.state.projects.values()
    )


@api.get("/namespaces/{id}/exists")
def namespace_exists(ctx: Ctx) -> dict[str, Any]:
    """Whether a path is used directly under `parent_id` (top level without it)."""
    need_user(ctx)
    state = ctx.state
    path = ctx.path_id().lower()
    parent = ctx.params.int("parent_id")
    used = {g.path.lower() for g in state.groups.values() if g.parent_id == parent}
    if parent is None:
        used |= {u.username.lower() for u in state.users.values()}
    exists = path in used
    suggestion = path
    number = 1
    while suggestion in used:
        suggestion = f"{path}{number}"
        number += 1
    return {"exists": exists, "suggests": [suggestion] if exists else []}


# -- projects ------------------------------------------------------------------------------


@api.put("/projects/{id}/transfer")
def transfer_project(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, OWNER)
    ctx.params.require("namespace")
    kind, namespace_id, group = _namespace_target(ctx, ctx.params.str("namespace") or "")
    me = ctx.me
    if group is not None and ctx.state.group_access(me, group) < MAINTAINER:
        raise forbidden()
    if kind == "user" and namespace_id != me.namespace_id and not me.is_admin:
        raise forbidden()
    if kind == project.namespace_kind and namespace_id == project.namespace_id:
        raise ApiError(400, "Project is already in this namespace.")
    if _taken(ctx, kind, namespace_id, project):
        raise ApiError(400, "Project with same name or path in target namespace already exists")
    project.namespace_kind = kind  # type: ignore[assignment]
    project.namespace_id = namespace_id
    project.last_activity_at = now()
    return ctx.render.project(project)


@api.post("/projects/{id}/fork")
def fork_project(ctx: Ctx) -> dict[str, Any]:
    source = find_project(ctx)
    me = ctx.me
    p, state = ctx.params, ctx.state
    key = p.str("namespace_id") or p.str("namespace_path") or p.str("namespace")
    kind, namespace_id, group = (
        _namespace_target(ctx, key) if key else ("user", me.namespace_id, None)
    )
    if group is not None and state.group_access(me, group) < DEVELOPER:
        raise forbidden()
    if kind == "user" and namespace_id != me.namespace_id and not me.is_admin:
        raise forbidden()
    moment = now()
    fork = Project(
        id=state.next_id("project"),
        name=p.str("name") or source.name,
        path=p.str("path") or source.path,
        namespace_kind=kind,  # type: ignore[arg-type]
        namespace_id=namespace_id,
        project_namespace_id=state.next_id("namespace"),
        creator_id=me.id,
        created_at=moment,
        last_activity_at=moment,
        description=p.str("description", source.description) or "",
        visibility=p.str("visibility", source.visibility) or source.visibility,
        topics=list(source.topics),
        default_branch=source.default_branch,
        forked_from_id=source.id,
    )
    if _taken(ctx, kind, namespace_id, fork):
        raise ApiError(
            409, {"name": ["has already been taken"], "path": ["has already been taken"]}
        )
    state.projects[fork.id] = fork
    if group is None:
        owner = next((u for u in state.users.values() if u.namespace_id == namespace_id), me)
        state.members[("project", fork.id, owner.id)] = Member(
            "project", fork.id, owner.id, OWNER, moment, me.id
        )
    ctx.emitter.project(fork, "project_create")
    return ctx.render.project(fork)


@api.get("/projects/{id}/forks")
def list_forks(ctx: Ctx) -> Reply:
    source = find_project(ctx)
    state = ctx.state
    forks = [
        p
        for p in state.projects.values()
        if p.forked_from_id == source.id and state.can_see_project(ctx.user, p)
    ]
    return paginate(ctx, sorted(forks, key=lambda p: p.id, reverse=True), ctx.render.project)


def _star(ctx: Ctx, starred: bool) -> Reply:
    project = find_project(ctx)
    me = ctx.me
    if (me.id in project.starrers) == starred:
        return Reply(None, 304)
    (project.starrers.add if starred else project.starrers.discard)(me.id)
    return Reply(ctx.render.project(project), 201)


@api.post("/projects/{id}/star")
def star(ctx: Ctx) -> Reply:
    return _star(ctx, True)


@api.post("/projects/{id}/unstar")
def unstar(ctx: Ctx) -> Reply:
    return _star(ctx, False)


@api.get("/projects/{id}/starrers")
def starrers(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    users = [ctx.state.users[uid] for uid in sorted(project.starrers) if uid in ctx.state.users]

    def render(user: User) -> dict[str, Any]:
        return {"starred_since": project.last_activity_at, "user": ctx.render.user(user)}

    return paginate(ctx, users, render)


def _group_basic(ctx: Ctx, group: Group) -> dict[str, Any]:
    state = ctx.state
    return {
        "id": group.id,
        "web_url": ctx.render.group_url(group),
        "name": group.name,
        "avatar_url": ctx.render.file_url(group.avatar),
        "full_name": state.group_full_name(group),
        "full_path": state.group_full_path(group),
    }


@api.get("/projects/{id}/groups")
def project_groups(ctx: Ctx) -> Reply:
    """The project's ancestor groups (and, with `with_shared`, none: projects are never shared
    with groups in the sandbox); `search` and `skip_groups` filter them."""
    project = find_project(ctx)
    p = ctx.params
    groups = list(reversed(ctx.state.project_ancestor_groups(project)))
    if p.has("search"):
        term = (p.str("search") or "").lower()
        groups = [g for g in groups if term in g.name.lower() or term in g.path.lower()]
    skip = set(p.int_list("skip_groups") or [])
    groups = [g for g in groups if g.id not in skip]
    return paginate(ctx, groups, lambda g: _group_basic(ctx, g))


# -- groups --------------------------------------------------------------------------------


@api.post("/groups/{id}/transfer")
def transfer_group(ctx: Ctx) -> Reply:
    """To the group `group_id`, or to the top level without it."""
    group = find_group(ctx)
    need_group(ctx, group, OWNER)
    state, me = ctx.state, ctx.me
    target_id = ctx.params.int("group_id")
    target = None
    if target_id is not None:
        target = state.groups.get(target_id)
        if target is None or not state.can_see_group(me, target):
            raise not_found("Group")
        if state.group_access(me, target) < MAINTAINER:
            raise forbidden()
        if target.id in {g.id for g in state.descendants(group)}:
            raise ApiError(400, "Transfer failed: Cannot transfer group to one of its subgroup.")
    if group.parent_id == (target.id if target else None):
        raise ApiError(400, "Transfer failed: Group is already associated to the parent group.")
    siblings = [g for g in state.groups.values() if g.parent_id == (target.id if target else None)]
    if any(g.path.lower() == group.path.lower() for g in siblings):
        raise ApiError(
            400,
            "Transfer failed: The parent group already has a subgroup or a project with the "
            "same path.",
        )
    group.parent_id = target.id if target else None
    return Reply(ctx.render.group(group, detail=True), 201)


@api.post("/groups/{id}/share")
def share_group(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    need_group(ctx, group, OWNER)
    p, state = ctx.params, ctx.state
    p.require("group_id", "group_access")
    other = state.groups.get(p.int("group_id") or 0)
    if other is None or not state.can_see_group(ctx.me, other):
        raise not_found("Group")
    level = p.int("group_access") or 0
    if level not in (10, 15, 20, 30, 40, 50):
        raise ApiError(400, "group_access does not have a valid value", key="error")
    group.shared_with[other.id] = level
    return Reply(ctx.render.group(group, detail=True), 201)


@api.delete("/groups/{id}/share/{group_id}")
def unshare_group(ctx: Ctx) -> Reply:
    group = find_group(ctx)
    need_group(ctx, group, OWNER)
    if group.shared_with.pop(ctx.path_int("group_id"), None) is None:
        raise not_found("Group Link")
    return Reply(None, 204)
