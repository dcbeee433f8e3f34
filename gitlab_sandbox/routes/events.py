"""Contribution events (GL:doc/api/events.md), read from what the sandbox holds.

The sandbox keeps no event table: each list is derived from the records themselves, so it
is always consistent with them. Derived events: a project `created` by its creator, an issue
or a project milestone `opened` by its author, an issue `closed` by whoever closed it (the
last close only; reopenings are not remembered), and a comment (`commented on`, target type
`Note` or `DiscussionNote`) for every user note. Pushes, merges, joins and deletions do not
appear: the sandbox has no repositories, and deleted records leave nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..model import REPORTER, Project, User
from ..routing import Routes
from ..web import ApiError, Ctx, Reply, paginate
from .common import find_project, find_user, need_user

api = Routes()
ACTIONS = {
    "created": "created",
    "updated": "updated",
    "closed": "closed",
    "reopened": "reopened",
    "pushed": "pushed to",
    "commented": "commented on",
    "merged": "accepted",
    "joined": "joined",
    "left": "left",
    "destroyed": "destroyed",
    "expired": "expired",
    "approved": "approved",
}
TARGET_TYPES = ("issue", "milestone", "merge_request", "note", "project", "snippet", "user")


@dataclass(frozen=True)
class Event:
    created_at: datetime
    order: int
    project_id: int
    action_name: str
    author_id: int
    target_type: str | None = None
    target_id: int | None = None
    target_iid: int | None = None
    target_title: str | None = None
    note_id: int | None = None


def _derive(ctx: Ctx) -> Iterator[Event]:
    state = ctx.state
    for project in state.projects.values():
        yield Event(project.created_at, 0, project.id, "created", project.creator_id)
    for item in state.work_items.values():
        if item.project_id is None or item.is_epic or not state.can_see_issue(ctx.user, item):
            continue
        target = ("Issue", item.id, item.iid, item.title)
        yield Event(item.created_at, 2, item.project_id, "opened", item.author_id, *target)
        if item.state == "closed" and item.closed_at is not None:
            closer = item.closed_by_id or item.author_id
            yield Event(item.closed_at, 3, item.project_id, "closed", closer, *target)
    for note in state.notes.values():
        noted = state.work_items.get(note.noteable_id)
        if note.system or noted is None or noted.project_id is None:
            continue
        if not state.can_see_issue(ctx.user, noted):
            continue
        if note.internal and state.item_access(ctx.user, noted) < REPORTER:
            continue
        kind = "Note" if note.individual else "DiscussionNote"
        target = (kind, note.id, note.id, noted.title)
        yield Event(
            note.created_at, 4, noted.project_id, "commented on", note.author_id, *target, note.id
        )


def _events(ctx: Ctx, author: User | None, project: Project | None) -> list[Event]:
    state, p = ctx.state, ctx.params
    events = [
        e
        for e in _derive(ctx)
        if (author is None or e.author_id == author.id)
        and (project is None or e.project_id == project.id)
        and state.can_see_project(ctx.user, state.projects[e.project_id])
    ]
    action = p.str("action")
    if action is not None:
        if action not in ACTIONS:
            raise ApiError(400, "action does not have a valid value", key="error")
        events = [e for e in events if e.action_name == ACTIONS[action]]
    target = p.str("target_type")
    if target is not None:
        if target not in TARGET_TYPES:
            raise ApiError(400, "target_type does not have a valid value", key="error")
        events = [e for e in events if _target_kind(e) == target]
    before, after = _day(ctx, "before"), _day(ctx, "after")
    if before is not None:
        events = [e for e in events if e.created_at.date() < before]
    if after is not None:
        events = [e for e in events if e.created_at.date() > after]
    events.sort(key=lambda e: (e.created_at, e.order, e.target_id or 0))
    return events if p.str("sort", "desc") == "asc" else events[::-1]


def _target_kind(event: Event) -> str | None:
    kind = event.target_type
    if kind is None:
        return "project"
    return "note" if kind in ("Note", "DiscussionNote") else kind.lower()


def _day(ctx: Ctx, name: str) -> date | None:
    return ctx.params.date(name)


def _render(ctx: Ctx, event: Event, ids: dict[Event, int]) -> dict[str, Any]:
    state = ctx.state
    author = state.users.get(event.author_id) or state.ghost()  # deleted users' work is ghost's
    data: dict[str, Any] = {
        "id": ids[event],
        "title": None,  # in every example of GL:doc/api/events.md, always null
        "project_id": event.project_id,
        "action_name": event.action_name,
        "target_id": event.target_id,
        "target_iid": event.target_iid,
        "target_type": event.target_type,
        "author_id": author.id,
        "target_title": event.target_title,
        "created_at": event.created_at,
        "author": ctx.render.user(author),
        "imported": False,
        "imported_from": "none",
        "author_username": author.username,
    }
    if event.note_id is not None and event.note_id in state.notes:
        data["note"] = ctx.render.note(state.notes[event.note_id])
    return data


def _answer(ctx: Ctx, events: list[Event]) -> Reply:
    ordered = sorted(_derive(ctx), key=lambda e: (e.created_at, e.order, e.target_id or 0))
    ids = {event: number for number, event in enumerate(ordered, 1)}
    return paginate(ctx, events, lambda event: _render(ctx, event, ids))


@api.get("/events")
def my_events(ctx: Ctx) -> Reply:
    """The caller's events; `scope=all` widens to every project the caller can see."""
    me = ctx.me
    return _answer(ctx, _events(ctx, None if ctx.params.str("scope") == "all" else me, None))


@api.get("/users/{user_id}/events")
def user_events(ctx: Ctx) -> Reply:
    need_user(ctx)
    return _answer(ctx, _events(ctx, find_user(ctx), None))


@api.get("/projects/{id}/events")
def project_events(ctx: Ctx) -> Reply:
    return _answer(ctx, _events(ctx, None, find_project(ctx)))
