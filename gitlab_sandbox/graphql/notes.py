"""Notes through GraphQL: the NOTES widget of a work item and `createNote` / `updateNote`.

Epics as work items have their comments here, not in the deprecated REST epic notes API
(verified.md §3.7); issues' notes are the same records REST's `/notes` serves. Sources: the
GraphQL reference (`GL:doc/api/graphql/reference/_index.md`: `WorkItemWidgetNotes`,
`Discussion`, `Note`, `Mutation.createNote`, `Mutation.updateNote`).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from ..model import REPORTER, Note, WorkItem
from ..routes.notes import add_note
from ..state import now
from ..web import Ctx
from .nodes import connection, gid, parse_gid, time, user_core

NOT_AVAILABLE = (
    "The resource that you are attempting to access does not exist or you don't have "
    "permission to perform this action"
)


def _visible(ctx: Ctx, item: WorkItem) -> list[Note]:
    state = ctx.state
    sees_internal = ctx.user is not None and state.item_access(ctx.user, item) >= REPORTER
    notes = [n for n in state.notes_of(item) if not n.internal or sees_internal]
    return sorted(notes, key=lambda n: (n.created_at, n.id))


def note_node(ctx: Ctx, note: Note) -> dict[str, Any]:
    author = ctx.state.users.get(note.author_id)
    item = ctx.state.work_items[note.noteable_id]
    return {
        "id": gid("Note", note.id),
        "body": note.body,
        "internal": note.internal,
        "system": note.system,
        "author": user_core(ctx, author) if author else None,
        "createdAt": time(note.created_at),
        "updatedAt": time(note.updated_at),
        "url": f"{ctx.render.item_url(item)}#note_{note.id}",
        "discussion": lambda _info: discussion_node(ctx, item, note.discussion_id),
    }


def discussion_node(ctx: Ctx, item: WorkItem, discussion_id: str) -> dict[str, Any]:
    notes = [n for n in _visible(ctx, item) if n.discussion_id == discussion_id]

    def listing(_info: Any, first: int | None = None, after: str | None = None) -> Any:
        return connection(notes, first, after, lambda n: note_node(ctx, n))

    return {
        "id": f"gid://gitlab/Discussion/{discussion_id}",
        "createdAt": time(notes[0].created_at) if notes else None,
        "notes": listing,
    }


def notes_widget(ctx: Ctx, item: WorkItem) -> dict[str, Any]:
    def discussions(
        _info: Any, filter: str | None = None, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        notes = _visible(ctx, item)
        if filter == "ONLY_COMMENTS":
            notes = [n for n in notes if not n.system]
        elif filter == "ONLY_ACTIVITY":
            notes = [n for n in notes if n.system]
        ids = list(dict.fromkeys(n.discussion_id for n in notes))
        return connection(ids, first, after, lambda d: discussion_node(ctx, item, d))

    return {"__typename": "WorkItemWidgetNotes", "type": "NOTES", "discussions": discussions}


def _noteable(ctx: Ctx, value: Any) -> WorkItem:
    state = ctx.state
    number = parse_gid(value, "WorkItem", "Issue")
    item = state.work_items.get(number or 0)
    if item is None:
        legacy = parse_gid(value, "Epic")
        item = next((w for w in state.work_items.values() if w.legacy_epic_id == legacy), None)
    if item is None or ctx.user is None or not state.can_see_issue(ctx.user, item):
        raise GraphQLError(NOT_AVAILABLE)
    return item


def create_note(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    item = _noteable(ctx, input["noteableId"])
    user = ctx.me
    access = ctx.state.item_access(user, item)
    internal = bool(input.get("internal"))
    if (item.discussion_locked and access < REPORTER) or (internal and access < REPORTER):
        raise GraphQLError(NOT_AVAILABLE)
    discussion = input.get("discussionId")
    thread = str(discussion).rsplit("/", 1)[-1] if discussion else None
    if thread and not any(n.discussion_id == thread for n in ctx.state.notes_of(item)):
        raise GraphQLError(NOT_AVAILABLE)
    body = input["body"]
    if not str(body).strip():
        return {"errors": ["Note can't be blank"], "note": None}
    note = add_note(ctx, item, body, internal=internal, discussion_id=thread, individual=not thread)
    return {
        "errors": [],
        "note": note_node(ctx, note),
        "clientMutationId": input.get("clientMutationId"),
    }


def update_note(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    note = ctx.state.notes.get(parse_gid(input["id"], "Note") or 0)
    user = ctx.user
    if note is None or user is None:
        raise GraphQLError(NOT_AVAILABLE)
    item = ctx.state.work_items[note.noteable_id]
    if not ctx.state.can_see_issue(user, item) or (note.author_id != user.id and not user.is_admin):
        raise GraphQLError(NOT_AVAILABLE)
    if input.get("body") is not None and input["body"] != note.body:
        note.body, note.updated_at = input["body"], now()
        ctx.emitter.note(note, "update", user)
    return {
        "errors": [],
        "note": note_node(ctx, note),
        "clientMutationId": input.get("clientMutationId"),
    }
