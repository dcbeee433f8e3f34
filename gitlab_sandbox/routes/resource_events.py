"""Resource events of issues and epics, and the control that seeds a history with given dates.

`GL:doc/api/resource_label_events.md`, `resource_milestone_events.md`,
`resource_state_events.md` and `resource_weight_events.md`: a list per issue, oldest first, and
one event by id. Epics have label and state events (by the epic's id, as the notes API).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from ..events_log import Kind, log_of
from ..model import WorkItem
from ..routing import Routes
from ..web import ApiError, Ctx, Reply, not_found, paginate
from .common import find_issue, find_project
from .notes import find_epic_item

api = Routes()
controls = Routes(prefix="/-/sandbox")

ISSUE_KINDS: tuple[Kind, ...] = ("label", "milestone", "state", "weight")
EPIC_KINDS: tuple[Kind, ...] = ("label", "state")


def _issue(ctx: Ctx) -> WorkItem:
    return find_issue(ctx, find_project(ctx))


def _epic(ctx: Ctx) -> WorkItem:
    return find_epic_item(ctx, "epic_id", legacy_id=True)


def _register(base: str, kind: Kind, lookup: Callable[[Ctx], WorkItem]) -> None:
    path = f"{base}/resource_{kind}_events"

    def listing(ctx: Ctx) -> Reply:
        item = lookup(ctx)
        events = log_of(ctx.state).of(item.id, kind)
        return paginate(ctx, events, ctx.render.resource_event)

    def one(ctx: Ctx) -> dict[str, Any]:
        item = lookup(ctx)
        wanted = ctx.path_int("event_id")
        event = next((e for e in log_of(ctx.state).of(item.id, kind) if e.id == wanted), None)
        if event is None:
            raise not_found()
        return ctx.render.resource_event(event)

    api.get(path)(listing)
    api.get(f"{path}/{{event_id}}")(one)


for _kind in ISSUE_KINDS:
    _register("/projects/{id}/issues/{issue_iid}", _kind, _issue)
for _kind in EPIC_KINDS:
    _register("/groups/{id}/epics/{epic_id}", _kind, _epic)


class SeedEvent(BaseModel):
    type: Kind
    created_at: datetime
    user: str | None = None
    """Username of the actor; the administrator when absent."""
    action: Literal["add", "remove"] = "add"
    label: str | None = None
    milestone: str | None = None
    """Milestone title, looked up among the project's and its groups' milestones."""
    state: Literal["closed", "reopened"] | None = None
    weight: int | None = None


class SeedHistory(BaseModel):
    project: str
    issue_iid: int
    replace: bool = True
    """Drop the issue's recorded events of the kinds given before adding these."""
    events: list[SeedEvent] = Field(default_factory=list)


def seed_history(ctx: Ctx) -> list[dict[str, Any]]:
    """Give an issue a history with known dates, for tests of cycle and lead time."""
    try:
        body = SeedHistory.model_validate(ctx.params.data)
    except ValidationError as error:
        raise ApiError(400, error.errors(include_url=False, include_context=False)) from None
    state = ctx.state
    project = (
        state.projects.get(int(body.project))
        if body.project.isdigit()
        else state.project_by_path(body.project)
    )
    item = state.issue_by_iid(project, body.issue_iid) if project else None
    if project is None or item is None:
        raise ApiError(400, f"seed: no issue {body.project}#{body.issue_iid}")
    log = log_of(state)
    if body.replace:
        for kind in {event.type for event in body.events}:
            log.forget(item.id, kind)
    recorded = []
    for spec in body.events:
        user = state.user_by_username(spec.user) if spec.user else ctx.me
        if user is None:
            raise ApiError(400, f"seed: unknown user {spec.user!r}")
        fields: dict[str, Any] = {}
        if spec.type == "label":
            label = state.find_label(project, None, spec.label or "")
            if label is None:
                raise ApiError(400, f"seed: unknown label {spec.label!r}")
            fields = {"action": spec.action, "label_id": label.id}
        elif spec.type == "milestone":
            groups = {g.id for g in state.project_ancestor_groups(project)}
            milestone = next(
                (
                    m
                    for m in state.milestones.values()
                    if m.title == spec.milestone
                    and (
                        (m.owner == "project" and m.owner_id == project.id)
                        or (m.owner == "group" and m.owner_id in groups)
                    )
                ),
                None,
            )
            if milestone is None:
                raise ApiError(400, f"seed: unknown milestone {spec.milestone!r}")
            fields = {"action": spec.action, "milestone_id": milestone.id}
        elif spec.type == "state":
            if spec.state is None:
                raise ApiError(400, "seed: a state event needs state (closed or reopened)")
            fields = {"state": spec.state}
        else:
            fields = {"weight": spec.weight}
        event = log.add(spec.type, item.id, user.id, spec.created_at, **fields)
        recorded.append(ctx.render.resource_event(event))
    return recorded


controls.post("/resource_events")(seed_history)
api.routes.extend(controls.routes)
