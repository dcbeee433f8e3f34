"""A small engagement built through the sandbox's REST API: something of every kind the bot
reads, so each inventory call has a non-empty answer to compare with GitLab's examples."""

from __future__ import annotations

import re
from typing import Any

import httpx

PLACEHOLDER = re.compile(r"\{(\w+)\}")


class World:
    """The ids of what was built, for the placeholders of `inventory.Rest.call`."""

    def __init__(self, url: str, token: str) -> None:
        self.api = httpx.Client(
            base_url=f"{url}/api/v4", headers={"PRIVATE-TOKEN": token}, timeout=30
        )
        self.ids: dict[str, Any] = {}

    def close(self) -> None:
        self.api.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.api.request(method, path, **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def fill(self, template: Any) -> Any:
        if isinstance(template, str):  # only known placeholders: JSON templates keep braces
            return PLACEHOLDER.sub(lambda m: str(self.ids.get(m[1], m[0])), template)
        if isinstance(template, dict):
            return {key: self.fill(value) for key, value in template.items()}
        return template


def build(sandbox: Any) -> World:
    seeded = sandbox.seed(
        {
            "users": [{"username": "alice", "name": "Alice Doe"}],
            "groups": [{"path": "acme", "name": "Acme", "members": {"alice": 30}}],
            "projects": [
                {"path": "app", "namespace": "acme", "name": "App", "members": {"root": 40}}
            ],
        }
    )
    world = World(sandbox.url, sandbox.token)
    ids = world.ids
    ids["gid"] = seeded["groups"]["acme"]
    ids["pid"] = seeded["projects"]["acme/app"]
    ids["alice_id"] = seeded["users"]["alice"]["id"]
    ids["root_id"] = world.call("GET", "/user")["id"]
    pid, gid = ids["pid"], ids["gid"]

    bug = world.call(
        "POST",
        f"/projects/{pid}/labels",
        json={
            "name": "bug",
            "color": "#d9534f",
            "description": "Bug reported by user",
            "priority": 10,
        },
    )
    ids["doing_label_id"] = world.call(
        "POST", f"/projects/{pid}/labels", json={"name": "doing", "color": "#5CB85C"}
    )["id"]
    world.call("POST", f"/projects/{pid}/labels", json={"name": "promote-me", "color": "#8E44AD"})
    team = world.call("POST", f"/groups/{gid}/labels", json={"name": "team::a", "color": "#FFA500"})
    ids.update(label_id=bug["id"], label_name="bug", group_label_id=team["id"])
    ids["group_milestone_id"] = world.call(
        "POST",
        f"/groups/{gid}/milestones",
        json={"title": "Q1", "start_date": "2026-01-01", "due_date": "2026-03-31"},
    )["id"]
    ids["milestone_id"] = world.call(
        "POST",
        f"/projects/{pid}/milestones",
        json={
            "title": "Sprint 1",
            "description": "First",
            "start_date": "2026-01-05",
            "due_date": "2026-01-16",
        },
    )["id"]
    epic = world.call("POST", f"/groups/{gid}/epics", json={"title": "Epic", "description": "all"})
    ids.update(epic_iid=epic["iid"], epic_id=epic["id"])

    first = world.call(
        "POST",
        f"/projects/{pid}/issues",
        json={
            "title": "First",
            "description": "the first issue",
            "labels": "bug,team::a",
            "milestone_id": ids["milestone_id"],
            "assignee_ids": [ids["root_id"]],
            "weight": 3,
            "epic_id": epic["id"],
            "due_date": "2026-01-15",
        },
    )
    ids["iid"] = first["iid"]
    ids["iid2"] = world.call("POST", f"/projects/{pid}/issues", json={"title": "Second"})["iid"]
    ids["iid3"] = world.call("POST", f"/projects/{pid}/issues", json={"title": "Third"})["iid"]
    issue = f"/projects/{pid}/issues/{ids['iid']}"
    ids["note_id"] = world.call("POST", f"{issue}/notes", json={"body": "first comment"})["id"]
    world.call("POST", f"{issue}/notes/{ids['note_id']}/award_emoji", json={"name": "thumbsup"})
    world.call("POST", f"{issue}/award_emoji", json={"name": "thumbsup"})
    world.call(
        "POST", f"{issue}/links", json={"target_project_id": pid, "target_issue_iid": ids["iid2"]}
    )
    world.call("POST", f"/groups/{gid}/epics/{epic['id']}/notes", json={"body": "epic comment"})
    thread = world.call("POST", f"{issue}/discussions", json={"body": "a thread"})
    world.call("POST", f"{issue}/discussions/{thread['id']}/notes", json={"body": "a reply"})
    ids["hook_id"] = world.call(
        "POST",
        f"/groups/{gid}/hooks",
        json={
            "url": "http://127.0.0.1:9/hook",
            "name": "Service",
            "description": "the bot's service",
            "issues_events": True,
            "custom_webhook_template": '{"event":"{{object_kind}}"}',
            "custom_headers": [{"key": "Authorization", "value": "Bearer x"}],
        },
    )["id"]
    board = world.call("POST", f"/projects/{pid}/boards", json={"name": "Board"})
    ids["board_id"] = board["id"]
    world.call("POST", f"/projects/{pid}/boards/{board['id']}/lists", json={"label_id": bug["id"]})

    # a history: what people do to an issue over its life
    world.call("PUT", issue, json={"weight": 5})
    world.call("PUT", issue, json={"add_labels": "doing", "remove_labels": "bug"})
    world.call("PUT", issue, json={"milestone_id": 0})
    world.call("PUT", issue, json={"milestone_id": ids["milestone_id"]})
    world.call("PUT", issue, json={"state_event": "close"})
    world.call("PUT", issue, json={"state_event": "reopen"})
    world.call("PUT", issue, json={"add_labels": "bug"})
    ids["state_event_id"] = world.call("GET", f"{issue}/resource_state_events")[0]["id"]
    ids["weight_event_id"] = world.call("GET", f"{issue}/resource_weight_events")[0]["id"]
    return world
