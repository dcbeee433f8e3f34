"""Project and group milestones: dates, state events, filters, and title uniqueness."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..model import REPORTER, Milestone
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, not_found, paginate, ruby_hash
from .common import find_owner, need_owner

api = Routes()

TITLE_TAKEN = "already being used for another group or project milestone."


def taken_titles(ctx: Ctx, kind: str, owner: Any) -> set[str]:
    state = ctx.state
    titles = state.milestone_titles_in_scope(kind, owner.id)
    if kind == "group":
        for project in state.projects_in(owner, include_subgroups=False):
            titles |= {m.title for m in state.milestones_of("project", project.id)}
    return titles


def _dates_error(start: date | None, due: date | None) -> dict[str, list[str]] | None:
    if start and due and due < start:
        return {"due_date": ["must be greater than start date"]}
    return None


def _sorted(milestones: list[Milestone]) -> list[Milestone]:
    return sorted(milestones, key=lambda m: (m.due_date is None, m.due_date or date.max, m.id))


def visible_milestones(ctx: Ctx, kind: str, owner: Any) -> list[Milestone]:
    state, p = ctx.state, ctx.params
    milestones = state.milestones_of(kind, owner.id)
    # GL:doc/api/milestones.md: `include_ancestors` from 16.7 (before it, an unknown parameter
    # GitLab ignores); the older `include_parent_milestones` still works, deprecated.
    ancestors = p.bool("include_parent_milestones") or (
        state.since("milestones_include_ancestors") and p.bool("include_ancestors")
    )
    if kind == "project" and ancestors:
        for g in state.project_ancestor_groups(owner):
            milestones += state.milestones_of("group", g.id)
    if kind == "group" and ancestors:
        for g in state.ancestors(owner)[1:]:
            milestones += state.milestones_of("group", g.id)
    if kind == "group" and p.bool("include_descendants"):
        for g in state.descendants(owner)[1:]:
            milestones += state.milestones_of("group", g.id)
    wanted_state = p.str("state")
    if wanted_state in ("active", "closed"):
        milestones = [m for m in milestones if m.state == wanted_state]
    iids = p.int_list("iids")
    if iids:
        milestones = [m for m in milestones if m.iid in iids]
    if p.has("title"):
        milestones = [m for m in milestones if m.title == p.str("title")]
    if p.has("search"):
        term = (p.str("search") or "").lower()
        milestones = [m for m in milestones if term in f"{m.title} {m.description}".lower()]
    after, before = p.datetime("updated_after"), p.datetime("updated_before")
    if after:
        milestones = [m for m in milestones if m.updated_at >= after]
    if before:
        milestones = [m for m in milestones if m.updated_at <= before]
    return _sorted(milestones)


def find_milestone(ctx: Ctx, kind: str, owner: Any) -> Milestone:
    milestone = ctx.state.milestones.get(ctx.path_int("milestone_id"))
    if milestone is None or milestone.owner != kind or milestone.owner_id != owner.id:
        raise not_found("Milestone")
    return milestone


def _register(kind: str) -> None:
    base = f"/{kind}s/{{id}}/milestones"

    def listing(ctx: Ctx) -> Reply:
        owner = find_owner(ctx, kind)
        return paginate(ctx, visible_milestones(ctx, kind, owner), ctx.render.milestone)

    def get(ctx: Ctx) -> dict[str, Any]:
        return ctx.render.milestone(find_milestone(ctx, kind, find_owner(ctx, kind)))

    def create(ctx: Ctx) -> dict[str, Any]:
        owner = find_owner(ctx, kind)
        need_owner(ctx, owner, REPORTER)
        p, state = ctx.params, ctx.state
        p.require("title")
        title = p.str("title") or ""
        start, due = p.date("start_date"), p.date("due_date")
        errors = _dates_error(start, due) or {}
        if title in taken_titles(ctx, kind, owner):
            errors["title"] = [TITLE_TAKEN]
        if errors:
            raise ApiError(400, f"Failed to create milestone {ruby_hash(errors)}")
        moment = now()
        iid = owner.next_milestone_iid
        owner.next_milestone_iid += 1
        milestone = Milestone(
            id=state.next_id("milestone"),
            iid=iid,
            title=title,
            owner=kind,  # type: ignore[arg-type]
            owner_id=owner.id,
            created_at=moment,
            updated_at=moment,
            description=p.str("description", "") or "",
            start_date=start,
            due_date=due,
        )
        state.milestones[milestone.id] = milestone
        ctx.emitter.milestone(milestone, "create", ctx.me)
        return ctx.render.milestone(milestone)

    def update(ctx: Ctx) -> dict[str, Any]:
        owner = find_owner(ctx, kind)
        milestone = find_milestone(ctx, kind, owner)
        need_owner(ctx, owner, REPORTER)
        p = ctx.params
        fields = ("title", "description", "due_date", "start_date", "state_event")
        if not any(p.has(name) for name in fields):
            raise ApiError(
                400,
                ", ".join(fields) + " are missing, at least one parameter must be provided",
                key="error",
            )
        event = p.str("state_event")
        if event is not None and event not in ("close", "activate"):
            raise ApiError(400, "state_event does not have a valid value", key="error")
        title = p.str("title") if p.has("title") else milestone.title
        start = p.date("start_date") if p.has("start_date") else milestone.start_date
        due = p.date("due_date") if p.has("due_date") else milestone.due_date
        errors = _dates_error(start, due) or {}
        if title != milestone.title and title in taken_titles(ctx, kind, owner):
            errors["title"] = [TITLE_TAKEN]
        if errors:
            raise ApiError(400, f"Failed to update milestone {ruby_hash(errors)}")
        milestone.title = title or milestone.title
        milestone.start_date, milestone.due_date = start, due
        if p.has("description"):
            milestone.description = p.str("description") or ""
        milestone.updated_at = now()
        if event == "close" and milestone.state != "closed":
            milestone.state = "closed"
            ctx.emitter.milestone(milestone, "close", ctx.me)
        elif event == "activate" and milestone.state != "active":
            milestone.state = "active"
            ctx.emitter.milestone(milestone, "reopen", ctx.me)
        return ctx.render.milestone(milestone)

    def delete(ctx: Ctx) -> Reply:
        owner = find_owner(ctx, kind)
        milestone = find_milestone(ctx, kind, owner)
        need_owner(ctx, owner, REPORTER)
        del ctx.state.milestones[milestone.id]
        for item in ctx.state.work_items.values():
            if item.milestone_id == milestone.id:
                item.milestone_id = None
        return Reply(None, 204)

    def issues(ctx: Ctx) -> Reply:
        owner = find_owner(ctx, kind)
        milestone = find_milestone(ctx, kind, owner)
        state = ctx.state
        items = [
            w
            for w in state.work_items.values()
            if w.milestone_id == milestone.id and not w.is_epic and state.can_see_issue(ctx.user, w)
        ]
        return paginate(ctx, sorted(items, key=lambda w: w.id), ctx.render.issue)

    def merge_requests(ctx: Ctx) -> Reply:
        find_milestone(ctx, kind, find_owner(ctx, kind))
        return paginate(ctx, [], lambda row: row)

    api.collection(
        base, "milestone_id", listing=listing, create=create, get=get, update=update, delete=delete
    )
    api.get(f"{base}/{{milestone_id}}/issues")(issues)
    api.get(f"{base}/{{milestone_id}}/merge_requests")(merge_requests)


_register("project")
_register("group")
