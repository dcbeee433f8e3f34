"""The GitLab calls commands make, against the sandbox on both tiers: each one is safe to repeat."""

from __future__ import annotations

import pytest

from bot.gitlab.engagement import EngagementGitLab

BOT = "psdm-bot"


@pytest.fixture(params=["premium", "free"])
def world(request):
    sandbox = request.getfixturevalue("sandbox" if request.param == "premium" else "sandbox_free")
    seeded = sandbox.seed(
        {
            "users": [
                {"username": BOT},
                {"username": "alice"},
                {"username": "rita"},
                {"username": "olga"},
            ],
            "groups": [{"path": "acme", "members": {BOT: 50, "alice": 40}}],
            "projects": [{"path": "delivery", "namespace": "acme", "members": {"rita": 20}}],
        }
    )
    project_id = seeded["projects"]["acme/delivery"]
    gl = EngagementGitLab(sandbox.url, seeded["users"][BOT]["token"], project_id)
    alice = sandbox.gitlab(seeded["users"]["alice"]["token"])
    issue = alice.projects.get(project_id).issues.create({"title": "Desk"})
    note = issue.notes.create({"body": "/psdm status"})
    return gl, seeded["users"], sandbox.gitlab().projects.get(project_id), issue.iid, note.id


def test_access_levels_include_inherited_membership_and_outsiders_have_none(world):
    gl, users, *_ = world
    assert gl.access_level(users["alice"]["id"]) == 40
    assert gl.access_level(users["rita"]["id"]) == 20
    assert gl.access_level(users["olga"]["id"]) == 0


def test_an_award_given_twice_is_given_once(world):
    gl, _, project, iid, note_id = world
    gl.award(iid, note_id, "eyes")
    gl.award(iid, note_id, "eyes")
    gl.award(iid, note_id, "x")
    awards = project.issues.get(iid).notes.get(note_id).awardemojis.list(get_all=True)
    assert sorted(a.name for a in awards) == ["eyes", "x"]


def test_a_reply_posted_twice_is_one_comment_brought_up_to_date(world):
    gl, _, project, iid, _ = world
    marker = "<!-- psdm-bot reply-to=1 -->"
    path = f"/projects/{gl.project}/issues/{iid}/notes"
    first = gl.upsert_note(path, marker, "working")
    assert gl.upsert_note(path, marker, "done", internal=True) == first
    replies = [n for n in project.issues.get(iid).notes.list(get_all=True) if marker in n.body]
    assert len(replies) == 1 and replies[0].body.startswith("done")
    assert replies[0].author["username"] == BOT


def test_closing_moving_and_renaming_milestones_repeat_safely(world):
    gl, _, project, _, _ = world
    one = project.milestones.create({"title": "Sprint 1"})
    two = project.milestones.create({"title": "Sprint 2"})
    issue = project.issues.create({"title": "Story", "milestone_id": one.id})
    for _ in range(2):
        gl.set_milestone(issue.iid, two.id)
        gl.close_milestone(one.id)
        gl.retitle_milestone(two.id, "Sprint 2: pilot")
    assert project.issues.get(issue.iid).milestone["id"] == two.id
    boxes = {t.id: t for t in gl.read({"milestones"}).milestones}
    assert boxes[one.id].state == "closed" and not boxes[one.id].active
    assert boxes[two.id].title == "Sprint 2: pilot" and boxes[two.id].active
