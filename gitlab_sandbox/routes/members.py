"""Project and group members, direct and inherited (`/members/all`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import MAINTAINER, OWNER, Group, Member, Project
from ..render import ACCESS_NAMES
from ..routing import Handler, Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, bad_request, forbidden, not_found, paginate
from .common import find_group, find_project

api = Routes()

PROJECT_LEVELS = (10, 15, 20, 30, 40, 50)
GROUP_LEVELS = (5, 10, 15, 20, 30, 40, 50)


def _source(ctx: Ctx, kind: str) -> tuple[str, Project | Group]:
    return ("project", find_project(ctx)) if kind == "projects" else ("group", find_group(ctx))


def _access(ctx: Ctx, kind: str, source: Any) -> int:
    if kind == "project":
        return ctx.state.project_access(ctx.user, source)
    return ctx.state.group_access(ctx.user, source)


def _direct(ctx: Ctx, kind: str, source: Any) -> list[Member]:
    return sorted(
        (m for m in ctx.state.members.values() if m.source == kind and m.source_id == source.id),
        key=lambda m: m.user_id,
    )


def _inherited(ctx: Ctx, kind: str, source: Any) -> list[Member]:
    """Each user once, with the highest role held here or on an ancestor group."""
    state = ctx.state
    found: dict[int, Member] = {m.user_id: m for m in _direct(ctx, kind, source)}
    groups = (
        state.project_ancestor_groups(source) if kind == "project" else state.ancestors(source)[1:]
    )
    for group in groups:
        for member in _direct(ctx, "group", group):
            held = found.get(member.user_id)
            if held is None or member.access_level > held.access_level:
                found[member.user_id] = member
    return sorted(found.values(), key=lambda m: m.user_id)


def _filter(ctx: Ctx, members: list[Member]) -> list[Member]:
    p = ctx.params
    if p.has("query"):
        term = (p.str("query") or "").lower()
        members = [m for m in members if term in _who(ctx, m)]
    ids = p.int_list("user_ids")
    if ids:
        members = [m for m in members if m.user_id in ids]
    return members


def _who(ctx: Ctx, member: Member) -> str:
    user = ctx.state.users[member.user_id]
    return f"{user.username} {user.name} {user.email}".lower()


def _register(kind: str) -> None:
    single = "project" if kind == "projects" else "group"
    levels = PROJECT_LEVELS if kind == "projects" else GROUP_LEVELS

    def listing(pick: Callable[[Ctx, str, Any], list[Member]]) -> Handler:
        def handler(ctx: Ctx) -> Reply:
            _, source = _source(ctx, kind)
            return paginate(ctx, _filter(ctx, pick(ctx, single, source)), ctx.render.member)

        return handler

    def one(pick: Callable[[Ctx, str, Any], list[Member]]) -> Handler:
        def handler(ctx: Ctx) -> dict[str, Any]:
            _, source = _source(ctx, kind)
            user_id = ctx.path_int("user_id")
            member = next((m for m in pick(ctx, single, source) if m.user_id == user_id), None)
            if member is None:
                raise not_found("Member")
            return ctx.render.member(member)

        return handler

    def check_level(ctx: Ctx, source: Any, level: int | None) -> int:
        if level is None:
            raise ApiError(400, "access_level is missing", key="error")
        if level not in levels:
            raise ApiError(400, "access_level does not have a valid value", key="error")
        mine = _access(ctx, single, source)
        if mine < MAINTAINER or (level >= OWNER and mine < OWNER):
            raise forbidden()
        return level

    def add(ctx: Ctx) -> Any:
        _, source = _source(ctx, kind)
        p, state = ctx.params, ctx.state
        level = check_level(ctx, source, p.int("access_level"))
        if p.has("username"):
            targets = [state.user_by_username(name) for name in p.list("username") or []]
        else:
            if not p.has("user_id"):
                raise ApiError(
                    400,
                    "user_id, username are missing, exactly one parameter must be provided",
                    key="error",
                )
            targets = [state.users.get(uid) for uid in p.int_list("user_id") or []]
        if any(t is None for t in targets) or not targets:
            raise not_found("User")
        added: list[Member] = []
        for target in targets:
            assert target is not None
            key = (single, source.id, target.id)
            if key in state.members:
                raise ApiError(409, "Member already exists")
            inherited = next(
                (m for m in _inherited(ctx, single, source) if m.user_id == target.id), None
            )
            if inherited is not None and inherited.access_level > level:
                name = ACCESS_NAMES[inherited.access_level]
                owner = state.groups[inherited.source_id].name
                raise bad_request(
                    {
                        "access_level": [
                            f"should be greater than or equal to {name} inherited membership "
                            f"from group {owner}"
                        ]
                    }
                )
            member = Member(
                "project" if single == "project" else "group",
                source.id,
                target.id,
                level,
                now(),
                ctx.me.id,
                p.date("expires_at"),
            )
            state.members[key] = member
            added.append(member)
            if single == "project":
                ctx.emitter.member_added(source, None, target, level)  # type: ignore[arg-type]
            else:
                ctx.emitter.member_added(None, source, target, level)  # type: ignore[arg-type]
        if len(added) == 1:
            return ctx.render.member(added[0])
        return {"status": "success"}

    def update(ctx: Ctx) -> dict[str, Any]:
        _, source = _source(ctx, kind)
        member = ctx.state.members.get((single, source.id, ctx.path_int("user_id")))
        if member is None:
            raise not_found("Member")
        p = ctx.params
        if p.has("access_level"):
            member.access_level = check_level(ctx, source, p.int("access_level"))
        if p.has("expires_at"):
            member.expires_at = p.date("expires_at")
        return ctx.render.member(member)

    def remove(ctx: Ctx) -> Reply:
        _, source = _source(ctx, kind)
        key = (single, source.id, ctx.path_int("user_id"))
        if key not in ctx.state.members:
            raise not_found("Member")
        if _access(ctx, single, source) < MAINTAINER and ctx.me.id != key[2]:
            raise forbidden()
        del ctx.state.members[key]
        return Reply(None, 204)

    base = f"/{kind}/{{id}}/members"
    api.get(base)(listing(_direct))
    api.get(f"{base}/all")(listing(_inherited))
    api.get(f"{base}/all/{{user_id}}")(one(_inherited))
    api.get(f"{base}/{{user_id}}")(one(_direct))
    api.post(base)(add)
    api.put(f"{base}/{{user_id}}")(update)
    api.delete(f"{base}/{{user_id}}")(remove)


_register("projects")
_register("groups")
