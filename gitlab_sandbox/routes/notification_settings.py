"""Notification settings (GL:doc/api/notification_settings.md): a level per user, globally and
per group or project. The sandbox sends no email; the levels are only kept and answered."""

from __future__ import annotations

from typing import Any

from ..routing import Routes
from ..web import ApiError, Ctx
from .common import find_group, find_project

api = Routes()
LEVELS = ("disabled", "participating", "watch", "global", "mention", "custom")


def _answer(ctx: Ctx, key: str) -> dict[str, Any]:
    me = ctx.me
    if key == "global":
        level = me.notification_levels.get(key, "participating")
        return {"level": level, "notification_email": me.email}
    return {"level": me.notification_levels.get(key, "global")}


def _set(ctx: Ctx, key: str) -> dict[str, Any]:
    me = ctx.me
    level = ctx.params.str("level")
    if level is not None:
        if level not in LEVELS or (key == "global" and level == "global"):
            raise ApiError(400, "level does not have a valid value", key="error")
        me.notification_levels[key] = level
    return _answer(ctx, key)


def _key(ctx: Ctx, kind: str) -> str:
    if kind == "global":
        return "global"
    found = find_group(ctx) if kind == "group" else find_project(ctx)
    return f"{kind}:{found.id}"


for _kind, _path in (
    ("global", "/notification_settings"),
    ("group", "/groups/{id}/notification_settings"),
    ("project", "/projects/{id}/notification_settings"),
):

    def _get(ctx: Ctx, kind: str = _kind) -> dict[str, Any]:
        return _answer(ctx, _key(ctx, kind))

    def _put(ctx: Ctx, kind: str = _kind) -> dict[str, Any]:
        return _set(ctx, _key(ctx, kind))

    api.get(_path)(_get)
    api.put(_path)(_put)
