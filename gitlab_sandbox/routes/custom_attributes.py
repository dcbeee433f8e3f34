"""Custom attributes of users, groups and projects (GL:doc/api/custom_attributes.md).

Administrators only, on every call. Lists of users, groups and projects filter on them with
`custom_attributes[key]=value` (`matching`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from ..model import Group, Project, User
from ..routing import Routes
from ..web import ApiError, Ctx, Reply, not_found
from .common import find_group, find_project, find_user, need_admin

api = Routes()
KINDS = {"users": "user_id", "groups": "id", "projects": "id"}
Owner = TypeVar("Owner", User, Group, Project)


def _owner_key(ctx: Ctx, kind: str) -> tuple[str, int]:
    need_admin(ctx)
    if kind == "users":
        return "user", find_user(ctx).id
    if kind == "groups":
        return "group", find_group(ctx).id
    return "project", find_project(ctx).id


def _render(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": value}


def wanted(ctx: Ctx) -> dict[str, str]:
    """The `custom_attributes[key]=value` filters of a list request."""
    found: dict[str, str] = {}
    for name, value in ctx.params.data.items():
        if name.startswith("custom_attributes[") and name.endswith("]"):
            found[name[len("custom_attributes[") : -1]] = str(value)
    return found


def matching(ctx: Ctx, kind: str, rows: Iterable[Owner]) -> list[Owner]:
    """`rows` that carry every custom attribute asked for (only administrators may filter)."""
    filters = wanted(ctx)
    if not filters or ctx.user is None or not ctx.user.is_admin:
        return list(rows)
    table = ctx.state.custom_attributes
    return [
        row
        for row in rows
        if all(table.get((kind, row.id), {}).get(k) == v for k, v in filters.items())
    ]


def _register(kind: str) -> None:
    base = f"/{kind}/{{{KINDS[kind]}}}/custom_attributes"

    def listing(ctx: Ctx) -> list[dict[str, Any]]:
        owner = _owner_key(ctx, kind)
        return [_render(k, v) for k, v in ctx.state.custom_attributes.get(owner, {}).items()]

    def get(ctx: Ctx) -> dict[str, Any]:
        owner = _owner_key(ctx, kind)
        key = ctx.path_id("key")
        value = ctx.state.custom_attributes.get(owner, {}).get(key)
        if value is None:
            raise not_found()
        return _render(key, value)

    def put(ctx: Ctx) -> dict[str, Any]:
        owner = _owner_key(ctx, kind)
        key = ctx.path_id("key")
        value = ctx.params.str("value")
        if value is None:
            raise ApiError(400, "value is missing", key="error")
        ctx.state.custom_attributes[owner][key] = value
        return _render(key, value)

    def delete(ctx: Ctx) -> Reply:
        owner = _owner_key(ctx, kind)
        if ctx.state.custom_attributes.get(owner, {}).pop(ctx.path_id("key"), None) is None:
            raise not_found()
        return Reply(None, 204)

    api.get(base)(listing)
    api.get(base + "/{key}")(get)
    api.put(base + "/{key}")(put)
    api.delete(base + "/{key}")(delete)


for _kind in KINDS:
    _register(_kind)
