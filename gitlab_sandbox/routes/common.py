"""Lookups every resource needs: the project, group, issue or user a path names."""

from __future__ import annotations

from ..model import Group, Project, User, WorkItem
from ..web import Ctx, forbidden, not_found


def find_project(ctx: Ctx, name: str = "id") -> Project:
    key = ctx.path_id(name)
    state = ctx.state
    project = state.projects.get(int(key)) if key.isdigit() else state.project_by_path(key)
    if project is None or not state.can_see_project(ctx.user, project):
        raise not_found("Project")
    return project


def find_group(ctx: Ctx, name: str = "id") -> Group:
    key = ctx.path_id(name)
    state = ctx.state
    group = state.groups.get(int(key)) if key.isdigit() else state.group_by_path(key)
    if group is None or not state.can_see_group(ctx.user, group):
        raise not_found("Group")
    return group


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


def need_user(ctx: Ctx) -> User:
    """The authenticated caller (401 for anonymous requests)."""
    return ctx.me


def need_admin(ctx: Ctx) -> User:
    user = ctx.me
    if not user.is_admin:
        raise forbidden()
    return user
