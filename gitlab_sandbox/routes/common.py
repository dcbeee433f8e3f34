"""Lookups every resource needs: the project, group, issue or user a path names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TypeVar

from ..model import Group, Project, User, WorkItem
from ..web import Ctx, forbidden, not_found

Found = TypeVar("Found")


def _visible(
    key: str,
    by_id: Mapping[int, Found],
    by_path: Callable[[str], Found | None],
    can_see: Callable[[Found], bool],
    what: str,
) -> Found:
    """The object a path names by id or by URL-encoded full path; 404 when hidden or missing."""
    found = by_id.get(int(key)) if key.isdigit() else by_path(key)
    if found is None or not can_see(found):
        raise not_found(what)
    return found


def find_project(ctx: Ctx, name: str = "id") -> Project:
    state, key = ctx.state, ctx.path_id(name)
    seen = partial(state.can_see_project, ctx.user)
    return _visible(key, state.projects, state.project_by_path, seen, "Project")


def find_group(ctx: Ctx, name: str = "id") -> Group:
    state, key = ctx.state, ctx.path_id(name)
    seen = partial(state.can_see_group, ctx.user)
    return _visible(key, state.groups, state.group_by_path, seen, "Group")


def find_owner(ctx: Ctx, kind: str) -> Project | Group:
    """The project or group of a route served for both (`kind` is "project" or "group")."""
    return find_project(ctx) if kind == "project" else find_group(ctx)


def find_user(ctx: Ctx, name: str = "user_id") -> User:
    key = ctx.path_id(name)
    user = ctx.state.users.get(int(key)) if key.isdigit() else None
    if user is None:
        raise not_found("User")
    return user


def find_issue(ctx: Ctx, project: Project, name: str = "issue_iid") -> WorkItem:
    item = ctx.state.issue_by_iid(project, ctx.path_int(name))
    if item is None or not ctx.state.can_see_issue(ctx.user, item):
        raise not_found("Issue")
    return item


def need_project(ctx: Ctx, project: Project, level: int) -> User:
    """The caller, if they hold at least `level` on the project (401 anonymous, 403 too low)."""
    user = ctx.me
    if ctx.state.project_access(user, project) < level:
        raise forbidden()
    return user


def need_group(ctx: Ctx, group: Group, level: int) -> User:
    user = ctx.me
    if ctx.state.group_access(user, group) < level:
        raise forbidden()
    return user


def need_owner(ctx: Ctx, owner: Project | Group, level: int) -> User:
    """`need_project` or `need_group`, whichever `owner` is."""
    if isinstance(owner, Project):
        return need_project(ctx, owner, level)
    return need_group(ctx, owner, level)


def need_user(ctx: Ctx) -> User:
    """The authenticated caller (401 for anonymous requests)."""
    return ctx.me


def need_admin(ctx: Ctx) -> User:
    user = ctx.me
    if not user.is_admin:
        raise forbidden()
    return user
