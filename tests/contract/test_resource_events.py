"""Resource events in the sandbox as GitLab records them: every change of labels, milestone,
state or weight, whatever the path (REST, GraphQL, quick action), with who and when; and a
control that gives an issue a history with known dates, for tests of cycle and lead time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from .shapes import fixture

KINDS = ("label", "milestone", "state", "weight")


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=f"{url}/api/v4", headers={"PRIVATE-TOKEN": token}, timeout=30
        )
        self.graphql_url = f"{url}/api/graphql"

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.json() if response.content else None

    def status(self, method: str, path: str, **kwargs: Any) -> int:
        return self.client.request(method, path, **kwargs).status_code

    def graphql(self, query: str) -> dict[str, Any]:
        answer = self.client.post(self.graphql_url, json={"query": query}).json()
        assert "errors" not in answer, answer
        return answer["data"]

    def events(self, issue: str, kind: str) -> list[dict[str, Any]]:
        return self("GET", f"{issue}/resource_{kind}_events")


@pytest.fixture
def world(sandbox) -> dict[str, Any]:
    seeded = sandbox.seed(
        {
            "users": [{"username": "alice", "name": "Alice"}],
            "groups": [{"path": "acme", "members": {"alice": 30}}],
            "projects": [{"path": "app", "namespace": "acme"}],
        }
    )
    alice = Api(sandbox.url, seeded["users"]["alice"]["token"])
    pid = seeded["projects"]["acme/app"]
    for name in ("doing", "done"):
        alice("POST", f"/projects/{pid}/labels", json={"name": name, "color": "#123456"})
    milestone = alice("POST", f"/projects/{pid}/milestones", json={"title": "Sprint 1"})
    issue = alice(
        "POST",
        f"/projects/{pid}/issues",
        json={"title": "Work", "labels": "doing", "weight": 2, "milestone_id": milestone["id"]},
    )
    return {
        "sandbox": sandbox,
        "alice": alice,
        "root": Api(sandbox.url, sandbox.token),
        "pid": pid,
        "issue": issue,
        "path": f"/projects/{pid}/issues/{issue['iid']}",
        "milestone": milestone,
    }


def summary(api: Api, issue: str) -> dict[str, list[tuple[Any, ...]]]:
    found = {kind: api.events(issue, kind) for kind in KINDS}
    return {
        "label": [(e["action"], e["label"]["name"], e["user"]["username"]) for e in found["label"]],
        "milestone": [
            (e["action"], e["milestone"]["title"], e["user"]["username"])
            for e in found["milestone"]
        ],
        "state": [(e["state"], e["user"]["username"]) for e in found["state"]],
        "weight": [(e["weight"], e["user"]["username"]) for e in found["weight"]],
    }


def test_rest_changes_are_recorded_with_the_acting_user_oldest_first(world):
    alice, path = world["alice"], world["path"]
    created = summary(alice, path)
    assert created == {
        "label": [("add", "doing", "alice")],
        "milestone": [("add", "Sprint 1", "alice")],
        "state": [],  # the initial state is not an event (resource_state_events.md)
        "weight": [(2, "alice")],
    }
    alice("PUT", path, json={"add_labels": "done", "remove_labels": "doing"})
    alice("PUT", path, json={"weight": 5, "milestone_id": 0})
    alice("PUT", path, json={"state_event": "close"})
    world["root"]("PUT", path, json={"state_event": "reopen"})
    alice("PUT", path, json={"title": "Only the title"})  # no tracked field: no event
    assert summary(alice, path) == {
        "label": [
            ("add", "doing", "alice"),
            ("add", "done", "alice"),
            ("remove", "doing", "alice"),
        ],
        "milestone": [("add", "Sprint 1", "alice"), ("remove", "Sprint 1", "alice")],
        "state": [("closed", "alice"), ("reopened", "root")],
        "weight": [(2, "alice"), (5, "alice")],
    }
    labels = alice.events(path, "label")
    assert labels[0]["created_at"] == world["issue"]["created_at"]
    moments = [datetime.fromisoformat(e["created_at"].replace("Z", "+00:00")) for e in labels]
    assert moments == sorted(moments)
    assert {e["resource_id"] for e in labels} == {world["issue"]["id"]}


def test_quick_actions_in_a_comment_are_recorded(world):
    alice, path = world["alice"], world["path"]
    alice("POST", f"{path}/notes", json={"body": "/label ~done\n/weight 8\n/close"})
    found = summary(alice, path)
    assert found["label"][-1] == ("add", "done", "alice")
    assert found["weight"][-1] == (8, "alice")
    assert found["state"] == [("closed", "alice")]


def test_graphql_work_item_updates_are_recorded(world):
    alice, path = world["alice"], world["path"]
    labels = {
        label["name"]: label["id"] for label in alice("GET", f"/projects/{world['pid']}/labels")
    }
    item = f"gid://gitlab/WorkItem/{world['issue']['id']}"
    alice.graphql(
        "mutation { workItemUpdate(input: {"
        f'id: "{item}", '
        f'labelsWidget: {{addLabelIds: ["gid://gitlab/ProjectLabel/{labels["done"]}"], '
        f'removeLabelIds: ["gid://gitlab/ProjectLabel/{labels["doing"]}"]}}, '
        "weightWidget: {weight: 13}, stateEvent: CLOSE"
        "}) { errors } }"
    )
    found = summary(alice, path)
    assert found["label"][1:] == [("add", "done", "alice"), ("remove", "doing", "alice")]
    assert found["weight"][-1] == (13, "alice")
    assert found["state"] == [("closed", "alice")]


def test_single_events_answer_as_documented_and_unknown_ids_are_404(world):
    alice, path = world["alice"], world["path"]
    alice("PUT", path, json={"state_event": "close"})
    [closed] = alice.events(path, "state")
    one = alice("GET", f"{path}/resource_state_events/{closed['id']}")
    assert one == closed
    assert fixture("resource_state_event").check("one", one) == []
    [weight] = alice.events(path, "weight")
    assert (
        fixture("resource_weight_event").check(
            "one", alice("GET", f"{path}/resource_weight_events/{weight['id']}")
        )
        == []
    )
    assert alice.status("GET", f"{path}/resource_state_events/999") == 404
    other = alice("POST", f"/projects/{world['pid']}/issues", json={"title": "Other"})
    other_path = f"/projects/{world['pid']}/issues/{other['iid']}"
    assert alice.status("GET", f"{other_path}/resource_state_events/{closed['id']}") == 404
    assert alice.status("GET", f"/projects/{world['pid']}/issues/999/resource_label_events") == 404


def test_an_outsider_cannot_read_the_history_of_a_private_project(world):
    sandbox = world["sandbox"]
    seeded = sandbox.seed({"users": [{"username": "mallory"}]})
    mallory = Api(sandbox.url, seeded["users"]["mallory"]["token"])
    assert mallory.status("GET", f"{world['path']}/resource_label_events") == 404


def test_a_history_can_be_seeded_with_known_dates(world):
    root, alice, path = world["root"], world["alice"], world["path"]
    seeded = world["sandbox"].control(
        "POST",
        "resource_events",
        {
            "project": "acme/app",
            "issue_iid": world["issue"]["iid"],
            "events": [
                {
                    "type": "label",
                    "label": "doing",
                    "created_at": "2026-01-05T09:00:00Z",
                    "user": "alice",
                },
                {"type": "state", "state": "closed", "created_at": "2026-01-09T17:30:00Z"},
                {
                    "type": "label",
                    "label": "doing",
                    "action": "remove",
                    "created_at": "2026-01-09T17:30:00Z",
                },
                {
                    "type": "milestone",
                    "milestone": "Sprint 1",
                    "created_at": "2026-01-05T08:00:00Z",
                },
                {"type": "weight", "weight": 3, "created_at": "2026-01-04T08:00:00Z"},
            ],
        },
    )
    assert len(seeded) == 5
    labels = alice.events(path, "label")
    assert [(e["action"], e["created_at"], e["user"]["username"]) for e in labels] == [
        ("add", "2026-01-05T09:00:00.000Z", "alice"),
        ("remove", "2026-01-09T17:30:00.000Z", "root"),  # no user given: the administrator
    ]
    [closed] = alice.events(path, "state")
    assert (closed["state"], closed["created_at"], closed["user"]["username"]) == (
        "closed",
        "2026-01-09T17:30:00.000Z",
        "root",
    )
    assert [e["weight"] for e in alice.events(path, "weight")] == [3]  # replaced, not appended
    for kind in KINDS:
        name = f"resource_{kind}_event"
        assert fixture(name).check("list", alice.events(path, kind)) == [], kind
    refused = httpx.post(
        f"{world['sandbox'].url}/-/sandbox/resource_events",
        json={
            "project": "acme/app",
            "issue_iid": 1,
            "events": [{"type": "label", "label": "nope", "created_at": "2026-01-01T00:00:00Z"}],
        },
        headers={"PRIVATE-TOKEN": world["sandbox"].token},
    )
    assert refused.status_code == 400 and "nope" in refused.text
    assert root.status("GET", f"{path}/resource_label_events") == 200


def test_a_reset_forgets_the_history(world):
    sandbox = world["sandbox"]
    sandbox.reset("premium")
    fresh = sandbox.seed(
        {"groups": [{"path": "acme"}], "projects": [{"path": "app", "namespace": "acme"}]}
    )
    root = Api(sandbox.url, sandbox.token)
    pid = fresh["projects"]["acme/app"]
    issue = root("POST", f"/projects/{pid}/issues", json={"title": "New"})
    path = f"/projects/{pid}/issues/{issue['iid']}"
    assert all(root.events(path, kind) == [] for kind in KINDS)


def test_epics_have_label_and_state_events(world):
    root = world["root"]
    group = root("GET", "/groups/acme")
    root("POST", f"/groups/{group['id']}/labels", json={"name": "phase", "color": "#654321"})
    epic = root("POST", f"/groups/{group['id']}/epics", json={"title": "Phase", "labels": "phase"})
    root("PUT", f"/groups/{group['id']}/epics/{epic['iid']}", json={"state_event": "close"})
    base = f"/groups/{group['id']}/epics/{epic['id']}"
    [label] = root("GET", f"{base}/resource_label_events")
    [state] = root("GET", f"{base}/resource_state_events")
    assert (label["resource_type"], label["resource_id"], label["action"]) == (
        "Epic",
        epic["id"],
        "add",
    )
    assert (state["resource_type"], state["state"]) == ("Epic", "closed")
