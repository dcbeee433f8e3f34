"""On Free the common answers keep every documented key, and the Premium-only ones are absent:
`GL:doc/api/issues.md` shows `weight` to Starter (Premium) users and `epic` to Premium users."""

from __future__ import annotations

from .shapes import fixture
from .world import World


def test_free_answers_carry_the_documented_keys_and_no_premium_ones(sandbox_free):
    seeded = sandbox_free.seed(
        {"groups": [{"path": "acme"}], "projects": [{"path": "app", "namespace": "acme"}]}
    )
    world = World(sandbox_free.url, sandbox_free.token)
    pid = seeded["projects"]["acme/app"]
    label = world.call("POST", f"/projects/{pid}/labels", json={"name": "bug", "color": "#d9534f"})
    milestone = world.call(
        "POST",
        f"/projects/{pid}/milestones",
        json={"title": "Sprint 1", "start_date": "2026-01-05", "due_date": "2026-01-16"},
    )
    issue = world.call(
        "POST",
        f"/projects/{pid}/issues",
        json={"title": "t", "labels": "bug", "milestone_id": milestone["id"], "weight": 3},
    )
    path = f"/projects/{pid}/issues/{issue['iid']}"
    world.call("POST", f"{path}/notes", json={"body": "a comment"})
    answers = {
        ("issue", "create"): issue,
        ("issue", "get"): world.call("GET", path),
        ("issue", "list"): world.call("GET", f"/projects/{pid}/issues"),
        ("label", "get"): world.call("GET", f"/projects/{pid}/labels/{label['id']}"),
        ("milestone", "one"): world.call("GET", f"/projects/{pid}/milestones/{milestone['id']}"),
        ("note", "list"): world.call("GET", f"{path}/notes"),
    }
    world.close()
    for (name, example), answer in answers.items():
        assert fixture(name).check(example, answer) == [], (name, example)
    assert not {"weight", "epic", "epic_iid"} & set(answers["issue", "get"])
