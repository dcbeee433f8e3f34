"""Notification settings (GL:doc/api/notification_settings.md): a level per user, globally and
per group or project. The sandbox sends no email; the levels are only kept and answered."""

from __future__ import annotations

from typing import Any

from ..routing import Routes
from ..web import ApiError, Ctx
from .common import find_group, find_project

api = Routes()
LEVELS = ("disabled", "participating", "watch", "global", "mention", "custom")
EVENTS = (
    "new_note",
    "new_issue",
    "reopen_issue",
    "close_issue",
    "reassign_issue",
    "issue_due",
    "new_merge_request",
    "push_to_merge_request",
    "reopen_merge_request",
    "close_merge_request",
    "reassign_merge_request",
    "merge_merge_request",
    "failed_pipeline",
    "fixed_pipeline",
    "success_pipeline",
    "moved_project",
    "merge_when_pipeline_succeeds",
)
"""The email events a `custom` level switches one by one (the page's list; `new_epic` on
Ultimate)."""


def _events(ctx: Ctx) -> tuple[str, ...]:
    return (*EVENTS, "new_epic") if ctx.state.tier == "ultimate" else EVENTS


def _answer(ctx: Ctx, key: str) -> dict[str, Any]:
    me = ctx.me
    default = "participating" if key == "global" else "global"
    answer: dict[str, Any] = {"level": me.notification_levels.get(key, default)}
    if key == "global":
        answer["notification_email"] = me.email
    if answer["level"] == "custom":
        chosen = me.notification_levels
        answer["events"] = {e: chosen.get(f"{key}/{e}") == "on" for e in _events(ctx)}
    return answer


def _set(ctx: Ctx, key: str) -> dict[str, Any]:
    me, p = ctx.me, ctx.params
    level = p.str("level")
    if level is not None:
        if level not in LEVELS or (key == "global" and level == "global"):
            raise ApiError(400, "level does not have a valid value", key="error")
        me.notification_levels[key] = level
    for event in _events(ctx):
        if p.has(event):
            me.notification_levels[f"{key}/{event}"] = "on" if p.bool(event) else "off"
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
