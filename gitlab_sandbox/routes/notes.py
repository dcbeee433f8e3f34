"""Notes (comments, internal notes) on issues and epics, and award emoji on both."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from ..model import MAINTAINER, REPORTER, AwardEmoji, Note, WorkItem
from ..routing import Routes
from ..state import now
from ..web import Ctx, Reply, forbidden, not_found, paginate
from .common import find_group, find_issue, find_project
from .quick_actions import run_quick_actions

api = Routes()

EMOJI_RE = re.compile(r"^[a-z0-9_+-]+$")


def issue_of(ctx: Ctx) -> WorkItem:
    return find_issue(ctx, find_project(ctx))


def find_epic_item(ctx: Ctx, name: str = "epic_iid", *, legacy_id: bool = False) -> WorkItem:
    """An epic by iid (or, for the notes API, by its legacy epic id), premium only."""
    group = find_group(ctx)
    state = ctx.state
    if not state.has("epics"):
        raise forbidden()
    number = ctx.path_int(name)
    epic = None
    if legacy_id:
        epic = next(
            (
                w
                for w in state.work_items.values()
                if w.legacy_epic_id == number and w.group_id == group.id
            ),
            None,
        )
    epic = epic or state.epic_by_iid(group, number)
    if epic is None or not state.can_see_issue(ctx.user, epic):
        raise not_found("Epic")
    return epic


def visible_notes(ctx: Ctx, item: WorkItem) -> list[Note]:
    state = ctx.state
    sees_internal = ctx.user is not None and state.item_access(ctx.user, item) >= REPORTER
    notes = [n for n in state.notes_of(item) if not n.internal or sees_internal]
    order_by = ctx.params.str("order_by", "created_at") or "created_at"
    reverse = (ctx.params.str("sort", "desc") or "desc") != "asc"
    key = (
        (lambda n: (n.updated_at, n.id))
        if order_by == "updated_at"
        else (lambda n: (n.created_at, n.id))
    )
    return sorted(notes, key=key, reverse=reverse)


def find_note(ctx: Ctx, item: WorkItem) -> Note:
    note = ctx.state.notes.get(ctx.path_int("note_id"))
    if note is None or note.noteable_id != item.id or note not in visible_notes(ctx, item):
        raise not_found("Note")
    return note


def add_note(
    ctx: Ctx,
    item: WorkItem,
    body: str,
    *,
    internal: bool,
    discussion_id: str | None = None,
    individual: bool = True,
) -> Note:
    user = ctx.me
    moment = now()
    note = Note(
        id=ctx.state.next_id("note"),
        body=body,
        author_id=user.id,
        noteable_id=item.id,
        created_at=moment,
        updated_at=moment,
        internal=internal,
    )
    note.discussion_id = discussion_id or hashlib.sha1(f"note-{note.id}".encode()).hexdigest()
    note.individual = individual
    ctx.state.notes[note.id] = note
    ctx.emitter.note(note, "create", user)
    return note


def _register_notes(base: str, lookup: Callable[[Ctx], WorkItem]) -> None:
    def listing(ctx: Ctx) -> Reply:
        item = lookup(ctx)
        return paginate(ctx, visible_notes(ctx, item), ctx.render.note)

    def get(ctx: Ctx) -> dict[str, Any]:
        return ctx.render.note(find_note(ctx, lookup(ctx)))

    def create(ctx: Ctx) -> Any:
        item = lookup(ctx)
        user = ctx.me
        if item.discussion_locked and ctx.state.item_access(user, item) < REPORTER:
            raise forbidden()
        p = ctx.params
        p.require("body")
        internal = bool(p.bool("internal", False) or p.bool("confidential", False))
        if internal and ctx.state.item_access(user, item) < REPORTER:
            raise forbidden()
        body, changes, messages = run_quick_actions(ctx, item, p.str("body") or "")
        if changes and not body.strip():
            return Reply({"commands_changes": changes, "summary": messages}, 202)
        return ctx.render.note(add_note(ctx, item, body, internal=internal))

    def update(ctx: Ctx) -> dict[str, Any]:
        item = lookup(ctx)
        note = find_note(ctx, item)
        user = ctx.me
        if note.author_id != user.id and not user.is_admin:
            raise forbidden()
        p = ctx.params
        p.require("body")
        note.body = p.str("body") or ""
        note.updated_at = now()
        ctx.emitter.note(note, "update", user)
        return ctx.render.note(note)

    def delete(ctx: Ctx) -> Reply:
        item = lookup(ctx)
        note = find_note(ctx, item)
        user = ctx.me
        if note.author_id != user.id and ctx.state.item_access(user, item) < MAINTAINER:
            raise forbidden()
        del ctx.state.notes[note.id]
        return Reply(None, 204)

    api.collection(
        base, "note_id", listing=listing, create=create, get=get, update=update, delete=delete
    )


def _register_awards(base: str, lookup: Callable[[Ctx], WorkItem], awardable: str) -> None:
    def target(ctx: Ctx) -> tuple[str, int, WorkItem]:
        item = lookup(ctx)
        if awardable == "Note":
            return "Note", find_note(ctx, item).id, item
        return "Issue", item.id, item

    def listing(ctx: Ctx) -> Reply:
        kind, target_id, _ = target(ctx)
        awards = sorted(ctx.state.awards_on(kind, target_id), key=lambda a: a.id)
        return paginate(ctx, awards, ctx.render.award)

    def find(ctx: Ctx) -> AwardEmoji:
        kind, target_id, _ = target(ctx)
        award = ctx.state.awards.get(ctx.path_int("award_id"))
        if award is None or award.awardable_type != kind or award.awardable_id != target_id:
            raise not_found("Award Emoji")
        return award

    def get(ctx: Ctx) -> dict[str, Any]:
        return ctx.render.award(find(ctx))

    def create(ctx: Ctx) -> dict[str, Any]:
        kind, target_id, _ = target(ctx)
        user = ctx.me
        ctx.params.require("name")
        name = (ctx.params.str("name") or "").strip(":")
        if not EMOJI_RE.match(name):
            raise not_found('Award Emoji {:name=>["is not a valid emoji name"]}')
        if any(
            a.name == name and a.user_id == user.id for a in ctx.state.awards_on(kind, target_id)
        ):
            raise not_found('Award Emoji {:name=>["has already been taken"]}')
        moment = now()
        award = AwardEmoji(
            ctx.state.next_id("award"),
            name,
            user.id,
            kind,  # type: ignore[arg-type]
            target_id,
            moment,
            moment,
        )
        ctx.state.awards[award.id] = award
        ctx.emitter.emoji(award, "award", user)
        return ctx.render.award(award)

    def delete(ctx: Ctx) -> Reply:
        award = find(ctx)
        user = ctx.me
        if award.user_id != user.id and not user.is_admin:
            raise forbidden()
        ctx.emitter.emoji(award, "revoke", user)
        del ctx.state.awards[award.id]
        return Reply(None, 204)

    api.collection(base, "award_id", listing=listing, create=create, get=get, delete=delete)


def _epic_by_id(ctx: Ctx) -> WorkItem:
    return find_epic_item(ctx, "epic_id", legacy_id=True)


def _epic_by_iid(ctx: Ctx) -> WorkItem:
    return find_epic_item(ctx, "epic_iid")


_register_notes("/projects/{id}/issues/{issue_iid}/notes", issue_of)
_register_notes("/groups/{id}/epics/{epic_id}/notes", _epic_by_id)
_register_awards("/projects/{id}/issues/{issue_iid}/award_emoji", issue_of, "Issue")
_register_awards("/projects/{id}/issues/{issue_iid}/notes/{note_id}/award_emoji", issue_of, "Note")
_register_awards("/groups/{id}/epics/{epic_iid}/award_emoji", _epic_by_iid, "Issue")
