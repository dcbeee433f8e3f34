"""Deployments (enough of them for DORA) and the DORA metrics API, Ultimate only.

`GL:doc/api/deployments.md`: `POST /projects/:id/deployments` records a deployment (`environment`,
`sha`, `ref`, `tag`, `status`); `PUT /projects/:id/deployments/:deployment_id` changes its status.
`GL:doc/api/dora/metrics.md` ("Tier: Ultimate"; at least Reporter): `GET /projects/:id/dora/metrics`
and `GET /groups/:id/dora/metrics` with `metric`, `start_date` (default 3 months ago), `end_date`
(default today), `interval` (`all`, `monthly`, `daily`, default `daily`) and `environment_tiers`
(default `production`). The `value` of `deployment_frequency` is "the number of successful
deployments during the time period": a count per bucket, not a rate.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ..model import DEVELOPER, REPORTER, Deployment, Project, WorkItem
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, forbidden, not_found, paginate
from .common import find_group, find_project, need_group, need_project

api = Routes()

METRICS = (
    "deployment_frequency",
    "lead_time_for_changes",
    "time_to_restore_service",
    "change_failure_rate",
)
INTERVALS = ("all", "monthly", "daily")
STATUSES = ("created", "running", "success", "failed", "canceled", "skipped", "blocked")
# GL:doc/ci/environments/_index.md "Deployment tier of environments": guessed from the name.
TIER_NAMES = (
    ("production", ("production", "prod", "live")),
    ("staging", ("staging", "stage", "model", "pre", "demo")),
    ("testing", ("test", "qa", "testing")),
    ("development", ("dev", "review", "trunk", "development")),
)


def environment_tier(name: str) -> str:
    lowered = name.lower()
    for tier, words in TIER_NAMES:
        if any(lowered.startswith(w) for w in words):
            return tier
    return "other"


def _render(ctx: Ctx, deployment: Deployment) -> dict[str, Any]:
    user = ctx.state.users.get(deployment.user_id)
    return {
        "id": deployment.id,
        "iid": deployment.iid,
        "ref": deployment.ref,
        "sha": deployment.sha,
        "status": deployment.status,
        "created_at": deployment.created_at,
        "updated_at": deployment.updated_at,
        "finished_at": deployment.finished_at,
        "user": ctx.render.user(user) if user else None,
        "environment": {"name": deployment.environment, "tier": deployment.tier},
        "deployable": None,
    }


@api.get("/projects/{id}/deployments")
def list_deployments(ctx: Ctx) -> Any:
    project = find_project(ctx)
    need_project(ctx, project, REPORTER)
    found = [d for d in ctx.state.deployments.values() if d.project_id == project.id]
    wanted = ctx.params.str("status")
    if wanted:
        found = [d for d in found if d.status == wanted]
    return paginate(ctx, sorted(found, key=lambda d: d.id), lambda d: _render(ctx, d))


@api.post("/projects/{id}/deployments")
def create_deployment(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    user = need_project(ctx, project, DEVELOPER)
    p = ctx.params
    p.require("environment", "sha", "ref", "tag", "status")
    status = p.str("status") or ""
    if status not in ("running", "success", "failed", "canceled"):
        raise ApiError(400, "status does not have a valid value", key="error")
    moment = now()
    state = ctx.state
    environment = p.str("environment") or ""
    deployment = Deployment(
        id=state.next_id("deployment"),
        iid=1 + sum(1 for d in state.deployments.values() if d.project_id == project.id),
        project_id=project.id,
        environment=environment,
        tier=environment_tier(environment),
        status=status,
        ref=p.str("ref") or "",
        sha=p.str("sha") or "",
        user_id=user.id,
        created_at=moment,
        updated_at=moment,
        finished_at=moment if status in ("success", "failed", "canceled") else None,
    )
    state.deployments[deployment.id] = deployment
    return _render(ctx, deployment)


@api.put("/projects/{id}/deployments/{deployment_id}")
def update_deployment(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, DEVELOPER)
    deployment = ctx.state.deployments.get(ctx.path_int("deployment_id"))
    if deployment is None or deployment.project_id != project.id:
        raise not_found("Deployment")
    ctx.params.require("status")
    status = ctx.params.str("status") or ""
    if status not in STATUSES:
        raise ApiError(400, "status does not have a valid value", key="error")
    deployment.status, deployment.updated_at = status, now()
    if status in ("success", "failed", "canceled"):
        deployment.finished_at = deployment.updated_at
    return _render(ctx, deployment)


def _buckets(start: date, end: date, interval: str) -> list[tuple[date, date]]:
    """[first, last] day pairs covering start..end as GitLab buckets them."""
    if interval == "all":
        return [(start, end)]
    if interval == "daily":
        return [
            (start + timedelta(days=n), start + timedelta(days=n))
            for n in range((end - start).days + 1)
        ]
    buckets = []
    first = start.replace(day=1)
    while first <= end:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        buckets.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return buckets


def _label(first: date, interval: str) -> str | None:
    """A bucket's `date`: none for `all`, the month's first day for `monthly`."""
    if interval == "all":
        return None
    return (first.replace(day=1) if interval == "monthly" else first).isoformat()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _metric(
    name: str, deployments: list[Deployment], incidents: list[WorkItem]
) -> Callable[[date, date], float | int | None]:
    def within(moment: date, first: date, last: date) -> bool:
        return first <= moment <= last

    def value(first: date, last: date) -> float | int | None:
        done = [
            d
            for d in deployments
            if d.status == "success"
            and d.finished_at is not None
            and within(d.finished_at.date(), first, last)
        ]
        if name == "deployment_frequency":
            return len(done)
        if name == "lead_time_for_changes":
            return None  # no merge requests in the sandbox, so no lead time to measure
        closed = [
            i
            for i in incidents
            if i.closed_at is not None and within(i.closed_at.date(), first, last)
        ]
        if name == "time_to_restore_service":
            return _median(
                [(i.closed_at - i.created_at).total_seconds() for i in closed if i.closed_at]
            )
        opened = [i for i in incidents if within(i.created_at.date(), first, last)]
        return round(len(opened) / len(done), 4) if done else None

    return value


def _dora(ctx: Ctx, projects: list[Project]) -> list[dict[str, Any]]:
    if not ctx.state.has("dora4_analytics"):
        raise forbidden()
    p = ctx.params
    p.require("metric")
    metric = p.str("metric") or ""
    if metric not in METRICS:
        raise ApiError(400, "metric does not have a valid value", key="error")
    interval = p.str("interval", "daily") or "daily"
    if interval not in INTERVALS:
        raise ApiError(400, "interval does not have a valid value", key="error")
    end = p.date("end_date") or now().date()
    start = p.date("start_date") or end - timedelta(days=90)
    if start > end:
        raise ApiError(400, "The start date must be earlier than the end date.")
    tiers = p.list("environment_tiers") or [p.str("environment_tier") or "production"]
    ids = {project.id for project in projects}
    deployments = [
        d for d in ctx.state.deployments.values() if d.project_id in ids and d.tier in tiers
    ]
    incidents = [
        w for w in ctx.state.work_items.values() if w.project_id in ids and w.kind == "incident"
    ]
    value = _metric(metric, deployments, incidents)
    return [
        {"date": _label(first, interval), "value": value(first, last)}
        for first, last in _buckets(start, end, interval)
    ]


@api.get("/projects/{id}/dora/metrics")
def project_dora(ctx: Ctx) -> list[dict[str, Any]]:
    project = find_project(ctx)
    need_project(ctx, project, REPORTER)
    return _dora(ctx, [project])


@api.get("/groups/{id}/dora/metrics")
def group_dora(ctx: Ctx) -> list[dict[str, Any]]:
    group = find_group(ctx)
    need_group(ctx, group, REPORTER)
    return _dora(ctx, ctx.state.projects_in(group, include_subgroups=True))
