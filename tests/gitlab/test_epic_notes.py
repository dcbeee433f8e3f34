"""Comments on epics in work-item mode are work-item notes, kept once by their marker, even
when the answer to the create is lost; a group milestone is addressed through its group."""

from __future__ import annotations

from bot.gitlab.connection import open_connection
from bot.gitlab.kinds.milestones import milestone_path
from bot.gitlab.notes import _notes, epic_note_once


def test_an_epic_comment_is_a_work_item_note_posted_once_and_kept_current(sandbox):
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    epic = group.epics.create({"title": "Discovery"})
    conn = open_connection(sandbox.url, sandbox.token)
    first = epic_note_once(conn, "acme", epic.iid, "<!-- psdm-bot gate -->", "Gate passed.")
    again = epic_note_once(conn, "acme", epic.iid, "<!-- psdm-bot gate -->", "Gate passed again.")
    assert again == first
    routes = sandbox.stats()["routes"]
    assert not any("/epics/" in route and "/notes" in route for route in routes)
    texts = [note["body"] for note in _notes(conn, "acme", epic.iid)[1]]
    assert texts == ["Gate passed again.\n\n<!-- psdm-bot gate -->"]


def test_a_group_milestone_is_addressed_through_its_group():
    assert milestone_path(7, {"id": 3, "group_id": 2}) == "/groups/2/milestones/3"
    assert milestone_path("acme/app", {"id": 3, "project_id": 7}) == (
        "/projects/acme%2Fapp/milestones/3"
    )
