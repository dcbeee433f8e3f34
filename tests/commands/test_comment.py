"""A Note Hook becomes one CommandComment action through the service's router."""

from __future__ import annotations

import copy
import json

import pytest

from bot.events.commands import CommandComment
from bot.events.event import Event
from bot.events.router import Context
from bot.events.routes import build_router
from tests.conftest import PAYLOADS

PAYLOAD = json.loads((PAYLOADS / "note-issue.json").read_text())


def note(body: str, **attributes) -> dict:
    payload = copy.deepcopy(PAYLOAD)
    payload["object_attributes"].update(note=body, **attributes)
    return payload


def decide(payload: dict, kind: str = "Note Hook", context: Context | None = None) -> list:
    return build_router().dispatch(Event.from_delivery(kind, payload), context or Context())


def test_a_new_issue_comment_with_commands_becomes_one_action_with_every_line():
    [action] = decide(note("Plan first.\n/psdm plan\n/psdm status"))
    assert isinstance(action, CommandComment)
    assert (action.project_id, action.issue_iid, action.note_id) == (5, 17, 1241)
    assert (action.author_id, action.author) == (1, "root")
    assert [line.rest for line in action.lines] == ["plan", "status"]
    assert not action.internal


def test_internal_comments_are_answered_internally():
    [action] = decide(note("/psdm status", internal=True), "Confidential Note Hook")
    assert action.internal


@pytest.mark.parametrize(
    "payload",
    [
        note("/psdm status", action="update"),
        note("/psdm status", system=True),
        note("no commands here"),
        note("/psdm status", noteable_type="MergeRequest"),
    ],
    ids=["edited", "system note", "no command", "merge request"],
)
def test_edits_system_notes_plain_comments_and_other_noteables_run_nothing(payload):
    assert decide(payload) == []


def test_the_bots_own_comments_run_nothing():
    assert decide(note("/psdm status"), context=Context(bot_username="root")) == []
