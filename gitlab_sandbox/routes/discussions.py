"""Issue discussions: threads of notes sharing a discussion id."""

from __future__ import annotations

from typing import Any

from ..model import MAINTAINER, REPORTER, Note, WorkItem
from ..routing import Routes
from ..state import now
from ..web import Ctx, Reply, forbidden, not_found, paginate
from .notes import add_note, issue_of, visible_notes

api = Routes()
BASE = "/projects/{id}/issues/{issue_iid}/discussions"


def _threads(ctx: Ctx, item: WorkItem) -> list[list[Note]]:
    threads: dict[str, list[Note]] = {}
    for note in sorted(visible_notes(ctx, item), key=lambda n: n.id):
        threads.setdefault(note.discussion_id, []).append(note)
    return list(threads.values())


def _render(ctx: Ctx, notes: list[Note]) -> dict[str, Any]:
    return {
        "id": notes[0].discussion_id,
        "individual_note": len(notes) == 1 and notes[0].individual,
        "notes": [ctx.render.note(n) for n in notes],
    }


def _thread(ctx: Ctx, item: WorkItem) -> list[Note]:
    wanted = ctx.path_id("discussion_id")
    found = next((t for t in _threads(ctx, item) if t[0].discussion_id == wanted), None)
    if found is None:
        raise not_found("Discussion")
    return found


def _note_in(ctx: Ctx, thread: list[Note]) -> Note:
    note_id = ctx.path_int("note_id")
    note = next((n for n in thread if n.id == note_id), None)
    if note is None:
        raise not_found("Note")
    return note


def _may_write(ctx: Ctx, item: WorkItem, internal: bool) -> None:
    access = ctx.state.item_access(ctx.me, item)
    if internal and access < REPORTER:
        raise forbidden()
    if item.discussion_locked and access < REPORTER:
        raise forbidden()


@api.get(BASE)
def list_discussions(ctx: Ctx) -> Reply:
    item = issue_of(ctx)
    return paginate(ctx, _threads(ctx, item), lambda thread: _render(ctx, thread))


@api.get(BASE + "/{discussion_id}")
def get_discussion(ctx: Ctx) -> dict[str, Any]:
    item = issue_of(ctx)
    return _render(ctx, _thread(ctx, item))


@api.post(BASE)
def create_discussion(ctx: Ctx) -> dict[str, Any]:
    item = issue_of(ctx)
    p = ctx.params
    p.require("body")
    internal = bool(p.bool("internal", False) or p.bool("confidential", False))
    _may_write(ctx, item, internal)
    note = add_note(ctx, item, p.str("body") or "", internal=internal, individual=False)
    return _render(ctx, [note])


@api.post(BASE + "/{discussion_id}/notes")
def reply(ctx: Ctx) -> dict[str, Any]:
    item = issue_of(ctx)
    thread = _thread(ctx, item)
    ctx.params.require("body")
    _may_write(ctx, item, thread[0].internal)
    for note in thread:
        note.individual = False
    note = add_note(
        ctx,
        item,
        ctx.params.str("body") or "",
        internal=thread[0].internal,
        discussion_id=thread[0].discussion_id,
        individual=False,
    )
    return ctx.render.note(note)


@api.get(BASE + "/{discussion_id}/notes/{note_id}")
def get_note(ctx: Ctx) -> dict[str, Any]:
    """GL:doc/api/discussions.md "Get single issue discussion note"."""
    item = issue_of(ctx)
    return ctx.render.note(_note_in(ctx, _thread(ctx, item)))


@api.put(BASE + "/{discussion_id}/notes/{note_id}")
def edit(ctx: Ctx) -> dict[str, Any]:
    item = issue_of(ctx)
    note = _note_in(ctx, _thread(ctx, item))
    user = ctx.me
    if note.author_id != user.id and not user.is_admin:
        raise forbidden()
    ctx.params.require("body")
    note.body = ctx.params.str("body") or ""
    note.updated_at = now()
    ctx.emitter.note(note, "update", user)
    return ctx.render.note(note)


@api.delete(BASE + "/{discussion_id}/notes/{note_id}")
def delete(ctx: Ctx) -> Reply:
    item = issue_of(ctx)
    note = _note_in(ctx, _thread(ctx, item))
    user = ctx.me
    if note.author_id != user.id and ctx.state.item_access(user, item) < MAINTAINER:
        raise forbidden()
    del ctx.state.notes[note.id]
    return Reply(None, 204)
