"""Test and benchmark controls under /-/sandbox/ (administrator token only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from ..faults import FaultRule, FaultSet
from ..model import OWNER, Group, Member, OwnerKind, Project
from ..routing import Routes
from ..state import now
from ..tiers import Tier
from ..versions import show
from ..web import ApiError, Ctx, Reply
from .hooks import hook_events_for_control

api = Routes(prefix="/-/sandbox")
MIN_TIME, MAX_TIME = 0.0, 253_402_300_799.0
"""The moments the stand-in's clock may say: 1970-01-01 to 9999-12-31 23:59:59 UTC."""


class SeedUser(BaseModel):
    username: str
    name: str | None = None
    email: str | None = None
    admin: bool = False
    token: str | None = None


class SeedGroup(BaseModel):
    path: str
    name: str | None = None
    parent: str | None = None
    visibility: Literal["private", "internal", "public"] = "private"
    members: dict[str, int] = Field(default_factory=dict)


class SeedProject(BaseModel):
    path: str
    namespace: str
    name: str | None = None
    visibility: Literal["private", "internal", "public"] = "private"
    members: dict[str, int] = Field(default_factory=dict)


class Seed(BaseModel):
    tier: Tier | None = None
    users: list[SeedUser] = Field(default_factory=list)
    groups: list[SeedGroup] = Field(default_factory=list)
    projects: list[SeedProject] = Field(default_factory=list)


class ResetBody(BaseModel):
    tier: Tier | None = None
    gitlab_version: str | None = None
    rate_limits: Literal["gitlab.com", "none"] | None = None
    feature_flags: list[str] | None = None


def _parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(400, error.errors(include_url=False, include_context=False)) from None


@api.post("/reset", status=200)
def reset(ctx: Ctx) -> dict[str, Any]:
    body = _parse(ResetBody, ctx.params.data)
    try:
        ctx.sandbox.reset(body.tier, body.gitlab_version, body.rate_limits, body.feature_flags)
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    return {
        "tier": ctx.state.tier,
        "gitlab_version": show(ctx.state.version),
        "rate_limits": ctx.sandbox.limiter.profile,
        "feature_flags": sorted(ctx.state.feature_flags),
        "admin_token": ctx.state.admin_token,
    }


def _member(ctx: Ctx, source: str, source_id: int, username: str, level: int) -> None:
    user = ctx.state.user_by_username(username)
    if user is None:
        raise ApiError(400, f"seed: unknown user {username!r}")
    kind: OwnerKind = "project" if source == "project" else "group"
    ctx.state.members[(source, source_id, user.id)] = Member(
        kind, source_id, user.id, level, now(), ctx.me.id
    )


@api.post("/seed")
def seed(ctx: Ctx) -> dict[str, Any]:
    body: Seed = _parse(Seed, ctx.params.data)
    state = ctx.state
    if body.tier:
        state.tier = body.tier
    out: dict[str, Any] = {"tier": state.tier, "users": {}, "groups": {}, "projects": {}}
    for spec in body.users:
        user = state.user_by_username(spec.username) or state.add_user(
            spec.username,
            spec.name or spec.username.title(),
            spec.email or f"{spec.username}@example.com",
            is_admin=spec.admin,
        )
        token = spec.token or f"{spec.username}-token"
        if token not in state.tokens:
            state.add_token(user.id, "seed", ["api"], token)
        out["users"][spec.username] = {"id": user.id, "token": token}
    for group_spec in body.groups:
        parent = state.group_by_path(group_spec.parent) if group_spec.parent else None
        if group_spec.parent and parent is None:
            raise ApiError(400, f"seed: unknown parent group {group_spec.parent!r}")
        group = Group(
            state.next_id("namespace"),
            group_spec.name or group_spec.path,
            group_spec.path,
            parent.id if parent else None,
            now(),
            visibility=group_spec.visibility,
        )
        state.groups[group.id] = group
        if parent is None:
            state.members[("group", group.id, ctx.me.id)] = Member(
                "group", group.id, ctx.me.id, OWNER, now(), ctx.me.id
            )
        for username, level in group_spec.members.items():
            _member(ctx, "group", group.id, username, level)
        out["groups"][state.group_full_path(group)] = group.id
    for project_spec in body.projects:
        namespace = state.group_by_path(project_spec.namespace)
        if namespace is None:
            raise ApiError(400, f"seed: unknown group {project_spec.namespace!r}")
        moment = now()
        project = Project(
            state.next_id("project"),
            project_spec.name or project_spec.path,
            project_spec.path,
            "group",
            namespace.id,
            state.next_id("namespace"),
            ctx.me.id,
            moment,
            moment,
            visibility=project_spec.visibility,
        )
        state.projects[project.id] = project
        for username, level in project_spec.members.items():
            _member(ctx, "project", project.id, username, level)
        out["projects"][state.project_full_path(project)] = project.id
    return out


@api.get("/stats")
def stats(ctx: Ctx) -> dict[str, Any]:
    state = ctx.state
    data = ctx.sandbox.stats.snapshot()
    deliverer = ctx.sandbox.deliverer
    data["webhooks"] = {
        "delivered": deliverer.delivered,
        "failed": deliverer.failed,
        "logged": sum(len(logs) for logs in state.hook_logs.values()),
        "blocked_recursive": state.blocked_deliveries,
    }
    data["objects"] = {
        "users": len(state.users),
        "groups": len(state.groups),
        "projects": len(state.projects),
        "labels": len(state.labels),
        "milestones": len(state.milestones),
        "work_items": len(state.work_items),
        "notes": len(state.notes),
        "hooks": len(state.hooks),
    }
    data["tier"] = state.tier
    data["gitlab_version"] = show(state.version)
    data["rate_limits"] = ctx.sandbox.limiter.snapshot()
    data["feature_flags"] = sorted(state.feature_flags)
    return data


class ClockBody(BaseModel):
    time: float | None = None
    date: datetime | None = None
    advance: float | None = None
    advance_days: float | None = None
    running: bool = False


@api.get("/clock")
def read_clock(ctx: Ctx) -> dict[str, Any]:
    """The stand-in's date and time (any signed-in user may read it)."""
    return ctx.state.clock.describe()


@api.post("/clock", status=200)
def set_clock(ctx: Ctx) -> dict[str, Any]:
    """Set the stand-in's clock to `time` (Unix seconds) or `date` (ISO 8601 date or time,
    UTC unless it says otherwise), then move it by `advance` seconds and `advance_days` days.
    It stays frozen there (a test never straddles two rate-limit windows) or, with
    `"running": true`, runs on from there at the pace of real time.
    The clock dates what is written from then on, milestones' `expired`, token expiry and the
    rate-limit windows. `POST /-/sandbox/reset` puts it back to real time."""
    body: ClockBody = _parse(ClockBody, ctx.params.data)
    clock = ctx.state.clock
    if body.time is not None and body.date is not None:
        raise ApiError(400, "give either time or date, not both")
    if body.date is not None:
        given = body.date if body.date.tzinfo else body.date.replace(tzinfo=UTC)
        moment = given.timestamp()
    else:
        moment = body.time if body.time is not None else clock.time()
    moment += (body.advance or 0) + (body.advance_days or 0) * 86_400
    if not MIN_TIME <= moment <= MAX_TIME:
        raise ApiError(400, "the clock must stay between 1970 and 9999")
    clock.set(moment, running=body.running)
    return clock.describe()


@api.delete("/stats")
def clear_stats(ctx: Ctx) -> Reply:
    ctx.sandbox.stats.clear()
    return Reply(None, 204)


@api.get("/faults")
def list_faults(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.sandbox.faults.describe()


@api.post("/faults")
def add_faults(ctx: Ctx) -> list[dict[str, Any]]:
    data = ctx.params.data
    rules: list[FaultRule] = (
        _parse(FaultSet, data).rules if "rules" in data else [_parse(FaultRule, data)]
    )
    ctx.sandbox.faults.set(rules)
    return ctx.sandbox.faults.describe()


@api.delete("/faults")
def clear_faults(ctx: Ctx) -> Reply:
    ctx.sandbox.faults.clear()
    return Reply(None, 204)


api.get("/hooks/{hook_id}/events")(hook_events_for_control)
