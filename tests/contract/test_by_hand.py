"""What people do by hand to labels and milestones, as GitLab's pages describe it
(`GL:doc/api/labels.md`, `GL:doc/api/milestones.md`), and what the bot then reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .shapes import fixture


@pytest.fixture
def api(sandbox):
    seeded = sandbox.seed(
        {
            "groups": [{"path": "acme"}],
            "projects": [
                {"path": "app", "namespace": "acme"},
                {"path": "web", "namespace": "acme"},
            ],
        }
    )
    client = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.json() if response.content else None

    call.ids = seeded  # type: ignore[attr-defined]
    yield call
    client.close()


def test_a_renamed_label_shows_its_new_name_on_issues(api):
    app = api.ids["projects"]["acme/app"]
    label = api("POST", f"/projects/{app}/labels", json={"name": "doing", "color": "#123456"})
    issue = api("POST", f"/projects/{app}/issues", json={"title": "t", "labels": "doing"})
    renamed = api("PUT", f"/projects/{app}/labels/{label['id']}", json={"new_name": "in progress"})
    assert fixture("label").check("edit", renamed) == []
    assert api("GET", f"/projects/{app}/issues/{issue['iid']}")["labels"] == ["in progress"]


def test_a_deleted_label_leaves_issues_and_its_history_says_so(api):
    app = api.ids["projects"]["acme/app"]
    label = api("POST", f"/projects/{app}/labels", json={"name": "gone", "color": "#123456"})
    issue = api("POST", f"/projects/{app}/issues", json={"title": "t", "labels": "gone"})
    api("DELETE", f"/projects/{app}/labels/{label['id']}")
    path = f"/projects/{app}/issues/{issue['iid']}"
    assert api("GET", path)["labels"] == []
    [added] = api("GET", f"{path}/resource_label_events")
    assert (added["action"], added["label"]) == ("add", None)


def test_promoting_a_project_label_moves_every_project_of_the_group_to_the_group_label(api):
    app, web = api.ids["projects"]["acme/app"], api.ids["projects"]["acme/web"]
    group = api.ids["groups"]["acme"]
    for project in (app, web):
        api("POST", f"/projects/{project}/labels", json={"name": "risk", "color": "#FF0000"})
    one = api("POST", f"/projects/{app}/issues", json={"title": "a", "labels": "risk"})
    two = api("POST", f"/projects/{web}/issues", json={"title": "b", "labels": "risk"})
    board = api("POST", f"/projects/{web}/boards", json={"name": "Board"})
    web_label = api("GET", f"/projects/{web}/labels/risk")
    api("POST", f"/projects/{web}/boards/{board['id']}/lists", json={"label_id": web_label["id"]})

    promoted = api("PUT", f"/projects/{app}/labels/risk/promote")

    assert fixture("label").check("promote", promoted) == []
    assert promoted["is_project_label"] is False
    group_labels = api("GET", f"/groups/{group}/labels")
    assert [(lb["id"], lb["name"]) for lb in group_labels] == [(promoted["id"], "risk")]
    for project, issue in ((app, one), (web, two)):
        assert api("GET", f"/projects/{project}/issues/{issue['iid']}")["labels"] == ["risk"]
        labels = api("GET", f"/projects/{project}/labels", params={"include_ancestor_groups": True})
        assert [(lb["name"], lb["is_project_label"]) for lb in labels] == [("risk", False)]
        history = api("GET", f"/projects/{project}/issues/{issue['iid']}/resource_label_events")
        # the history now names the group label; the swap itself is no event
        assert [(e["action"], e["label"]["id"]) for e in history] == [("add", promoted["id"])]
    [listed] = api("GET", f"/projects/{web}/boards/{board['id']}/lists")
    assert listed["label"]["id"] == promoted["id"]


def test_a_project_label_of_a_personal_project_cannot_be_promoted(api, sandbox):
    user = sandbox.seed({"users": [{"username": "solo"}]})["users"]["solo"]
    solo = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": user["token"]}, timeout=30
    )
    project = solo.post("/projects", json={"name": "mine"}).json()
    solo.post(f"/projects/{project['id']}/labels", json={"name": "x", "color": "#000000"})
    assert solo.put(f"/projects/{project['id']}/labels/x/promote").status_code == 400
    solo.close()


def test_milestones_close_and_reopen_by_hand(api):
    app = api.ids["projects"]["acme/app"]
    milestone = api("POST", f"/projects/{app}/milestones", json={"title": "Sprint 1"})
    path = f"/projects/{app}/milestones/{milestone['id']}"
    closed = api("PUT", path, json={"state_event": "close"})
    assert closed["state"] == "closed"
    assert fixture("milestone").check("one", closed) == []
    assert api("PUT", path, json={"state_event": "activate"})["state"] == "active"
    group = api.ids["groups"]["acme"]
    q1 = api("POST", f"/groups/{group}/milestones", json={"title": "Q1"})
    closed_q1 = api("PUT", f"/groups/{group}/milestones/{q1['id']}", json={"state_event": "close"})
    assert (closed_q1["state"], fixture("group_milestone").check("one", closed_q1)) == (
        "closed",
        [],
    )
