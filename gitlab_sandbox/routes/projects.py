"""Projects: create in a group or a user namespace, read by id or path, list, update, delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..model import DEVELOPER, MAINTAINER, OWNER, Member, Project, User
from ..routing import Routes
from ..state import drop, now
from ..web import ApiError, Ctx, Reply, bad_request, forbidden, not_found, paginate
from .common import find_project, find_user, need_admin, need_project
from .custom_attributes import matching
from .uploads import set_avatar

api = Routes()

VISIBILITIES = ("private", "internal", "public")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.strip().lower()).strip("-") or "project"


def filter_projects(ctx: Ctx, projects: list[Project]) -> list[Project]:
    """Visibility first, then the documented list filters and ordering."""
    p, state, viewer = ctx.params, ctx.state, ctx.user
    projects = matching(
        ctx, "project", [pr for pr in projects if state.can_see_project(viewer, pr)]
    )
    if p.bool("owned"):
        projects = [pr for pr in projects if viewer and pr.creator_id == viewer.id]
    if p.bool("membership"):
        projects = [pr for pr in projects if viewer and state.is_member(viewer, pr)]
    if p.has("search"):
        term = (p.str("search") or "").lower()
        projects = [pr for pr in projects if term in pr.name.lower() or term in pr.path.lower()]
    if p.has("visibility"):
        projects = [pr for pr in projects if pr.visibility == p.str("visibility")]
    if p.has("archived"):
        projects = [pr for pr in projects if pr.archived == p.bool("archived")]
    if p.has("topic"):
        wanted = set(p.list("topic") or [])
        projects = [pr for pr in projects if wanted <= set(pr.topics)]
    min_access = p.int("min_access_level")
    if min_access is not None:
        projects = [pr for pr in projects if state.project_access(viewer, pr) >= min_access]
    if p.has("id_after"):
        projects = [pr for pr in projects if pr.id > (p.int("id_after") or 0)]
    if p.has("id_before"):
        projects = [pr for pr in projects if pr.id < (p.int("id_before") or 0)]
    order_by = p.str("order_by", "created_at") or "created_at"
    keys = {
        "id": lambda pr: pr.id,
        "name": lambda pr: pr.name.lower(),
        "path": lambda pr: pr.path.lower(),
        "created_at": lambda pr: (pr.created_at, pr.id),
        "updated_at": lambda pr: (pr.last_activity_at, pr.id),
        "last_activity_at": lambda pr: (pr.last_activity_at, pr.id),
    }
    key = keys.get(order_by, keys["created_at"])
    return sorted(projects, key=key, reverse=(p.str("sort", "desc") or "desc") != "asc")


@api.get("/projects")
def list_projects(ctx: Ctx) -> Reply:
    projects = filter_projects(ctx, list(ctx.state.projects.values()))
    return paginate(ctx, projects, _renderer(ctx), keyset=True)


def _renderer(ctx: Ctx) -> Callable[[Project], dict[str, Any]]:
    if ctx.params.bool("simple"):

        def simple(project: Project) -> dict[str, Any]:
            # `simple=true`: the short shape GitLab nests elsewhere, plus the visibility
            basic = ctx.render.project_basic(project)
            return {**basic, "visibility": ctx.render.project(project)["visibility"]}

        return simple
    return ctx.render.project


@api.get("/users/{user_id}/projects")
def list_user_projects(ctx: Ctx) -> Reply:
    user = find_user(ctx)
    owned = [
        p
        for p in ctx.state.projects.values()
        if p.namespace_kind == "user" and p.namespace_id == user.namespace_id
    ]
    return paginate(ctx, filter_projects(ctx, owned), _renderer(ctx))


def _create(ctx: Ctx, owner: User) -> dict[str, Any]:
    p, state = ctx.params, ctx.state
    name, path = p.str("name"), p.str("path")
    if not name and not path:
        raise ApiError(
            400, "name, path are missing, at least one parameter must be provided", key="error"
        )
    name = name or path or ""
    path = path or _slug(name)
    namespace_key = p.str("namespace_id") or p.str("namespace")
    kind, namespace_id, group = "user", owner.namespace_id, None
    if namespace_key:
        group = (
            state.groups.get(int(namespace_key))
            if namespace_key.isdigit()
            else (state.group_by_path(namespace_key))
        )
        if group is None:
            user = (
                state.user_by_namespace(int(namespace_key))
                if namespace_key.isdigit()
                else (state.user_by_username(namespace_key))
            )
            if user is None or (user.id != owner.id and not ctx.me.is_admin):
                raise not_found("Namespace")
            namespace_id = user.namespace_id
        else:
            if not state.can_see_group(ctx.me, group):
                raise not_found("Namespace")
            if state.group_access(ctx.me, group) < DEVELOPER:
                raise forbidden()
            kind, namespace_id = "group", group.id
    visibility = p.str("visibility", "private") or "private"
    if visibility not in VISIBILITIES:
        raise ApiError(400, "visibility does not have a valid value", key="error")
    siblings = [
        pr
        for pr in state.projects.values()
        if pr.namespace_kind == kind and pr.namespace_id == namespace_id
    ]
    errors: dict[str, list[str]] = {}
    if any(pr.name == name for pr in siblings):
        errors["project_namespace.name"] = ["has already been taken"]
        errors["name"] = ["has already been taken"]
    if any(pr.path.lower() == path.lower() for pr in siblings):
        errors["path"] = ["has already been taken"]
    if errors:
        raise bad_request(errors)
    moment = now()
    project = Project(
        id=state.next_id("project"),
        name=name,
        path=path,
        namespace_kind=kind,  # type: ignore[arg-type]
        namespace_id=namespace_id,
        project_namespace_id=state.next_id("namespace"),
        creator_id=owner.id,
        created_at=moment,
        last_activity_at=moment,
        description=p.str("description", "") or "",
        visibility=visibility,
        topics=p.list("topics") or p.list("tag_list") or [],
        default_branch=p.str("default_branch", "main") or "main",
        issues_enabled=p.bool("issues_enabled", True) is not False,
    )
    state.projects[project.id] = project
    project.avatar = set_avatar(ctx, "project", project.id, None)
    if group is None or state.group_access(owner, group) < OWNER:
        level = OWNER if group is None else MAINTAINER
        state.members[("project", project.id, owner.id)] = Member(
            "project", project.id, owner.id, level, moment, owner.id
        )
    ctx.emitter.project(project, "project_create")
    return ctx.render.project(project)


@api.post("/projects")
def create_project(ctx: Ctx) -> dict[str, Any]:
    return _create(ctx, ctx.me)


@api.post("/projects/user/{user_id}")
def create_project_for_user(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    return _create(ctx, find_user(ctx))


@api.get("/projects/{id}")
def get_project(ctx: Ctx) -> dict[str, Any]:
    return ctx.render.project(find_project(ctx))


@api.put("/projects/{id}")
def update_project(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, MAINTAINER)
    p = ctx.params
    for name in ("name", "path", "description", "default_branch"):
        if p.has(name):
            setattr(project, name, p.str(name) or "")
    if p.has("visibility"):
        if p.str("visibility") not in VISIBILITIES:
            raise ApiError(400, "visibility does not have a valid value", key="error")
        project.visibility = p.str("visibility") or "private"
    if p.has("topics") or p.has("tag_list"):
        project.topics = p.list("topics") or p.list("tag_list") or []
    if p.has("issues_enabled"):
        project.issues_enabled = bool(p.bool("issues_enabled"))
    project.avatar = set_avatar(ctx, "project", project.id, project.avatar)
    project.last_activity_at = now()
    return ctx.render.project(project)


def _set_archived(ctx: Ctx, archived: bool) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, MAINTAINER)
    project.archived = archived
    return ctx.render.project(project)


@api.post("/projects/{id}/archive")
def archive_project(ctx: Ctx) -> dict[str, Any]:
    return _set_archived(ctx, True)


@api.post("/projects/{id}/unarchive")
def unarchive_project(ctx: Ctx) -> dict[str, Any]:
    return _set_archived(ctx, False)


def remove_project(ctx: Ctx, project: Project) -> None:
    state = ctx.state
    ctx.emitter.project(project, "project_destroy")
    items = {w.id for w in state.work_items.values() if w.project_id == project.id}
    drop(state.work_items, lambda w: w.id in items)
    drop(state.notes, lambda n: n.noteable_id in items)
    drop(state.links, lambda k: bool({k.source_id, k.target_id} & items))
    drop(state.labels, lambda la: la.owner == "project" and la.owner_id == project.id)
    drop(state.milestones, lambda m: m.owner == "project" and m.owner_id == project.id)
    drop(state.boards, lambda b: b.owner == "project" and b.owner_id == project.id)
    drop(state.hooks, lambda h: h.kind == "project" and h.owner_id == project.id)
    drop(state.members, lambda m: m.source == "project" and m.source_id == project.id)
    del state.projects[project.id]


@api.delete("/projects/{id}", status=202)
def delete_project(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    need_project(ctx, project, OWNER)
    remove_project(ctx, project)
    return Reply({"message": "202 Accepted"}, 202)
