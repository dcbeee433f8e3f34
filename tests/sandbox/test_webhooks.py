"""Webhooks as GitLab sends them: payload shapes, headers, signing, failures, loops, resend."""

from __future__ import annotations

import json
import time
from typing import Any

import gitlab
import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import PAYLOADS

# GitLab sends null for these until someone sets them; the examples show them set.
NULLABLE = {
    "health_status",
    "discussion_locked",
    "previous",
    "group_id",
    "project_id",
    "updated_by_id",
}
SIGNING_TOKEN = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ALL_EVENTS = {
    "issues_events": True,
    "confidential_issues_events": True,
    "note_events": True,
    "confidential_note_events": True,
    "milestone_events": True,
    "emoji_events": True,
    "push_events": False,
}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(example: Any, actual: Any, path: str = "$") -> None:
    """`actual` has every key of `example`, recursively, with the same JSON types."""
    if example is None:
        return
    key = path.rsplit(".", 1)[-1]
    if actual is None and key in NULLABLE:
        return
    assert json_type(actual) == json_type(example), f"{path}: {actual!r} vs {example!r}"
    if isinstance(example, dict):
        for name, value in example.items():
            assert name in actual, f"{path}.{name} missing"
            assert_shape(value, actual[name], f"{path}.{name}")
    elif isinstance(example, list) and example:
        for item in actual:
            assert_shape(example[0], item, f"{path}[]")


def example(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture
def gl(sandbox) -> gitlab.Gitlab:
    return sandbox.gitlab()


@pytest.fixture
def project(gl):
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    return gl.projects.create({"name": "App", "namespace_id": group.id})


def test_every_documented_event_kind_matches_its_example(sandbox, gl, receiver):
    gl.hooks.create({"url": receiver.url})
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    group.hooks.create({"url": receiver.url, "project_events": True})
    project = gl.projects.create({"name": "App", "namespace_id": group.id})
    project.hooks.create({"url": receiver.url, **ALL_EVENTS})
    project.labels.create({"name": "API", "color": "#ffffff", "description": "API issues"})
    root = gl.users.list(username="root")[0]
    issue = project.issues.create({"title": "New API", "labels": "API", "assignee_ids": [root.id]})
    note = issue.notes.create({"body": "Hello world"})
    note.awardemojis.create({"name": "thumbsup"})
    project.milestones.create(
        {
            "title": "v1.0",
            "description": "First",
            "start_date": "2025-06-16",
            "due_date": "2025-06-30",
        }
    )
    deliveries = receiver.wait_for(7)

    by_header = {}
    for delivery in deliveries:
        by_header.setdefault(delivery.headers["x-gitlab-event"], []).append(delivery.json)
    system = [p for p in by_header["System Hook"] if p["event_name"] == "project_create"]
    assert_shape(example("system-project-create.json"), system[0])
    assert_shape(example("group-project-create.json"), by_header["Project Hook"][0])
    assert_shape(example("issue-open.json"), by_header["Issue Hook"][0])
    assert_shape(example("note-issue.json"), by_header["Note Hook"][0])
    assert_shape(example("emoji-award-note.json"), by_header["Emoji Hook"][0])
    assert_shape(example("milestone-create.json"), by_header["Milestone Hook"][0])
    assert by_header["Issue Hook"][0]["object_attributes"]["action"] == "open"
    assert by_header["Note Hook"][0]["object_attributes"]["noteable_id"] == issue.id


def test_deliveries_carry_gitlab_headers_and_a_standard_webhooks_signature(
    sandbox, project, receiver
):
    sandbox.control("POST", "reset", {"feature_flags": ["webhook_signing_token"]})
    group = sandbox.gitlab().groups.create({"name": "Acme", "path": "acme"})
    project = sandbox.gitlab().projects.create({"name": "App", "namespace_id": group.id})
    project.hooks.create(
        {
            "url": receiver.url,
            "issues_events": True,
            "token": "s3cret",
            "signing_token": SIGNING_TOKEN,
        }
    )
    project.issues.create({"title": "Signed"})
    (delivery,) = receiver.wait_for(1)
    headers = delivery.headers
    assert headers["x-gitlab-event"] == "Issue Hook"
    assert headers["x-gitlab-token"] == "s3cret"
    assert headers["x-gitlab-instance"] == sandbox.url
    assert headers["user-agent"].startswith("GitLab/")
    assert headers["webhook-id"] == headers["idempotency-key"]
    for name in ("x-gitlab-event-uuid", "x-gitlab-webhook-uuid", "idempotency-key"):
        assert len(headers[name]) == 36
    assert Webhook(SIGNING_TOKEN).verify(delivery.body, headers)["object_kind"] == "issue"
    assert "signing_token" not in project.hooks.list()[0].attributes
    assert project.hooks.list()[0].signing_token_present is True


def test_notes_fire_on_create_and_on_edit_and_internal_notes_are_confidential(project, receiver):
    project.hooks.create({"url": receiver.url, **ALL_EVENTS, "issues_events": False})
    issue = project.issues.create({"title": "Discuss"})
    note = issue.notes.create({"body": "first"})
    note.body = "edited"
    note.save()
    issue.notes.create({"body": "between us", "internal": True})
    receiver.wait_for(3)
    actions = [d.json["object_attributes"]["action"] for d in receiver.events("Note Hook")]
    assert sorted(actions) == ["create", "update"]
    (internal,) = receiver.events("Confidential Note Hook")
    assert internal.json["event_type"] == "confidential_note"


def test_milestone_close_and_reopen_fire_with_a_top_level_action(project, receiver):
    project.hooks.create({"url": receiver.url, "milestone_events": True})
    milestone = project.milestones.create({"title": "Sprint 1"})
    milestone.state_event = "close"
    milestone.save()
    milestone.state_event = "activate"
    milestone.save()
    deliveries = receiver.wait_for(3)
    assert sorted(d.json["action"] for d in deliveries) == ["close", "create", "reopen"]


def test_epics_arrive_at_group_hooks_as_work_items(gl, receiver):
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    group.hooks.create({"url": receiver.url, "issues_events": True})
    group.epics.create({"title": "Discovery"})
    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["x-gitlab-event"] == "Issue Hook"
    assert delivery.json["object_kind"] == "work_item"
    assert delivery.json["object_attributes"]["type"] == "Epic"


def test_a_hook_is_disabled_after_four_consecutive_failures(sandbox, project, receiver):
    hook = project.hooks.create({"url": receiver.url, "issues_events": True})
    receiver.status = 500
    for number in range(4):
        project.issues.create({"title": f"Failing {number}"})
        receiver.wait_for(number + 1)
        _wait_for_log(project, hook.id, number + 1)
    state = project.hooks.get(hook.id)
    assert state.alert_status == "temporarily_disabled" and state.disabled_until
    project.issues.create({"title": "Not sent"})
    receiver.status = 200
    project.issues.create({"title": "Not sent either"})
    assert (
        len(
            project.hooks.get(hook.id).manager.gitlab.http_get(
                f"/projects/{project.id}/hooks/{hook.id}/events"
            )
        )
        == 4
    )
    hook.test("issues_events")
    assert project.hooks.get(hook.id).alert_status == "executable"


def _wait_for_log(project, hook_id: int, count: int) -> list[dict]:
    for _ in range(500):
        logs = project.manager.gitlab.http_get(f"/projects/{project.id}/hooks/{hook_id}/events")
        if len(logs) >= count:
            return logs
        time.sleep(0.01)
    raise AssertionError(f"hook log never reached {count} entries")


def test_a_call_carrying_the_event_uuid_does_not_fire_the_same_hook_again(
    sandbox, project, receiver
):
    project.hooks.create({"url": receiver.url, "issues_events": True, "note_events": True})
    issue = project.issues.create({"title": "Loop"})
    (first,) = receiver.wait_for(1)
    echo = {
        "PRIVATE-TOKEN": sandbox.token,
        "X-Gitlab-Event-UUID": first.headers["x-gitlab-event-uuid"],
    }
    api = f"{sandbox.url}/api/v4/projects/{project.id}/issues/{issue.iid}"
    assert httpx.put(api, headers=echo, json={"title": "Loop again"}).status_code == 200
    assert (
        httpx.post(
            f"{api}/notes", headers={"PRIVATE-TOKEN": sandbox.token}, json={"body": "fresh request"}
        ).status_code
        == 201
    )
    receiver.wait_for(2)
    assert sandbox.stats()["webhooks"]["blocked_recursive"] == 1
    assert [d.json["object_attributes"]["title"] for d in receiver.events("Issue Hook")] == ["Loop"]


def test_resending_a_logged_delivery_keeps_its_idempotency_key(sandbox, project, receiver):
    hook = project.hooks.create({"url": receiver.url, "issues_events": True, "token": "t"})
    project.issues.create({"title": "Once"})
    (original,) = receiver.wait_for(1)
    logs = _wait_for_log(project, hook.id, 1)
    assert logs[0]["request_headers"]["X-Gitlab-Token"] == "[REDACTED]"
    assert logs[0]["response_status"] == "200"
    gl = project.manager.gitlab
    resent = gl.http_post(f"/projects/{project.id}/hooks/{hook.id}/events/{logs[0]['id']}/resend")
    assert resent == {"response_status": 200}
    _, again = receiver.wait_for(2)
    assert again.headers["idempotency-key"] == original.headers["idempotency-key"]
    assert again.headers["x-gitlab-webhook-uuid"] != original.headers["x-gitlab-webhook-uuid"]
    assert again.json == original.json


def test_system_hooks_hear_about_users_groups_and_memberships(gl, receiver):
    gl.hooks.create({"url": receiver.url})
    user = gl.users.create(
        {"username": "pat", "name": "Pat", "email": "pat@example.com", "reset_password": True}
    )
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    group.members.create({"user_id": user.id, "access_level": 30})
    deliveries = receiver.wait_for(3)
    assert {d.headers["x-gitlab-event"] for d in deliveries} == {"System Hook"}
    events = {d.json["event_name"]: d.json for d in deliveries}
    assert set(events) == {"user_create", "group_create", "user_add_to_group"}
    assert events["user_add_to_group"]["group_access"] == "Developer"
    assert events["group_create"]["full_path"] == "acme"
