"""Behaviours of verified.md §3 that the bot must live with, each against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    client = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    yield client
    client.close()


@pytest.fixture
def acme(api: httpx.Client) -> dict[str, Any]:
    """Group `acme`, its subgroup `acme/team`, and project `acme/app`."""
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    team = api.post("/groups", json={"name": "Team", "path": "team", "parent_id": group["id"]})
    project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
    return {"group": group["id"], "team": team.json()["id"], "project": project["id"]}


def graphql(sandbox: Any, query: str) -> dict[str, Any]:
    body = httpx.post(
        f"{sandbox.url}/api/graphql",
        json={"query": query},
        headers={"PRIVATE-TOKEN": sandbox.token},
    ).json()
    assert "errors" not in body, body
    return body["data"]


def confidential_traffic(api: httpx.Client, project: int) -> dict[str, Any]:
    """A confidential issue with a note, and a plain issue with an internal note; the plain
    issue is returned."""
    secret = api.post(f"/projects/{project}/issues", json={"title": "s", "confidential": True})
    api.post(f"/projects/{project}/issues/{secret.json()['iid']}/notes", json={"body": "on it"})
    plain = api.post(f"/projects/{project}/issues", json={"title": "plain"}).json()
    api.post(
        f"/projects/{project}/issues/{plain['iid']}/notes",
        json={"body": "/psdm status", "internal": True},
    )
    return plain


# -- 1. confidential issues and internal notes have their own triggers -----------------------
# GL:doc/user/project/integrations/webhook_events.md: "Confidential issues events" and
# "Confidential comments events" are triggers of their own.


def test_a_hook_without_confidential_triggers_never_hears_confidential_work(api, acme, receiver):
    project = acme["project"]
    api.post(
        f"/projects/{project}/hooks",
        json={"url": receiver.url, "issues_events": True, "note_events": True},
    )
    plain = confidential_traffic(api, project)
    api.post(f"/projects/{project}/issues/{plain['iid']}/notes", json={"body": "marker"})
    deliveries = receiver.wait_for(2)
    assert sorted(d.headers["x-gitlab-event"] for d in deliveries) == ["Issue Hook", "Note Hook"]
    assert [d.json["object_attributes"]["note"] for d in receiver.events("Note Hook")] == ["marker"]


def test_confidential_triggers_bring_their_own_event_names(api, acme, receiver):
    project = acme["project"]
    api.post(
        f"/projects/{project}/hooks",
        json={
            "url": receiver.url,
            "confidential_issues_events": True,
            "confidential_note_events": True,
            "push_events": False,
        },
    )
    confidential_traffic(api, project)
    receiver.wait_for(3)
    (issue,) = receiver.events("Confidential Issue Hook")
    assert (issue.json["object_kind"], issue.json["event_type"]) == ("issue", "confidential_issue")
    notes = receiver.events("Confidential Note Hook")
    assert sorted(n.json["object_attributes"]["note"] for n in notes) == ["/psdm status", "on it"]
    assert {(n.json["object_kind"], n.json["event_type"]) for n in notes} == {
        ("note", "confidential_note")
    }
    assert receiver.events("Issue Hook") == [] and receiver.events("Note Hook") == []


# -- 2. group milestones are not project milestones (GL:doc/api/milestones.md,
# GL:doc/api/group_milestones.md) ---------------------------------------------------------


def test_a_group_milestone_is_read_closed_and_listed_only_through_group_endpoints(api, acme):
    group, project = acme["group"], acme["project"]
    sprint = api.post(f"/groups/{group}/milestones", json={"title": "Sprint 1"}).json()
    issue = api.post(
        f"/projects/{project}/issues", json={"title": "t", "milestone_id": sprint["id"]}
    ).json()
    assert issue["milestone"]["id"] == sprint["id"]
    for method, suffix in [("GET", ""), ("GET", "/issues"), ("PUT", "?state_event=close")]:
        seen = api.request(method, f"/projects/{project}/milestones/{sprint['id']}{suffix}")
        assert seen.status_code == 404, (method, suffix)
    listed = api.get(f"/projects/{project}/milestones", params={"include_ancestors": True})
    assert [m["id"] for m in listed.json()] == [sprint["id"]]
    assert api.get(f"/projects/{project}/milestones").json() == []
    via_group = api.get(f"/groups/{group}/milestones/{sprint['id']}/issues").json()
    assert [i["iid"] for i in via_group] == [issue["iid"]]
    closed = api.put(f"/groups/{group}/milestones/{sprint['id']}", json={"state_event": "close"})
    assert closed.json()["state"] == "closed"


def test_a_group_milestone_hook_carries_no_project(api, acme, receiver):
    api.post(f"/groups/{acme['group']}/hooks", json={"url": receiver.url, "milestone_events": True})
    api.post(f"/groups/{acme['group']}/milestones", json={"title": "Sprint 1"})
    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["x-gitlab-event"] == "Milestone Hook"
    assert "project" not in delivery.json
    assert delivery.json["object_attributes"]["project_id"] is None


# -- 3. REST epic lists include subgroups by default, work-item queries do not -------------
# GL:doc/api/epics.md (`include_descendant_groups`, default true); GraphQL reference
# (`includeDescendants`, default false).


def test_epic_lists_differ_on_subgroups_between_rest_and_work_items(sandbox, api, acme):
    api.post(f"/groups/{acme['group']}/epics", json={"title": "Top"})
    api.post(f"/groups/{acme['team']}/epics", json={"title": "Sub"})
    rest = api.get(f"/groups/{acme['group']}/epics").json()
    assert sorted((e["title"], e["iid"]) for e in rest) == [("Sub", 1), ("Top", 1)], (
        "iids are per group: both epics are &1"
    )
    only = api.get(f"/groups/{acme['group']}/epics", params={"include_descendant_groups": False})
    assert [e["title"] for e in only.json()] == ["Top"]
    for root in ("group", "namespace"):
        query = f'{{ {root}(fullPath: "acme") {{ %s }} }}'
        plain = graphql(sandbox, query % "workItems(types: [EPIC]) { nodes { title } }")
        assert [n["title"] for n in plain[root]["workItems"]["nodes"]] == ["Top"]
        deep = graphql(
            sandbox,
            query % "workItems(types: [EPIC], includeDescendants: true) { nodes { title } }",
        )
        assert sorted(n["title"] for n in deep[root]["workItems"]["nodes"]) == ["Sub", "Top"]


# -- 4. recursion detection: per hook and UUID, at most 100 hooks --------------------------


def test_an_echoed_uuid_blocks_only_the_hook_it_came_from(sandbox, api, acme, receiver):
    project = acme["project"]
    for name in ("first", "second"):
        api.post(
            f"/projects/{project}/hooks",
            json={"url": f"{receiver.url}?{name}", "issues_events": True, "name": name},
        )
    issue = api.post(f"/projects/{project}/issues", json={"title": "t"}).json()
    deliveries = receiver.wait_for(2)
    uuids = {d.headers["x-gitlab-event-uuid"] for d in deliveries}
    assert len(uuids) == 2, "a request without a UUID gives each hook its own"
    hooks = api.get(f"/projects/{project}/hooks").json()
    logs = api.get(f"/projects/{project}/hooks/{hooks[0]['id']}/events").json()
    echoed = logs[0]["request_headers"]["X-Gitlab-Event-UUID"]
    receiver.clear()
    api.put(
        f"/projects/{project}/issues/{issue['iid']}",
        json={"title": "again"},
        headers={"X-Gitlab-Event-UUID": echoed},
    )
    (only,) = receiver.wait_for(1)
    assert only.headers["x-gitlab-event-uuid"] == echoed
    assert sandbox.stats()["webhooks"]["blocked_recursive"] == 1
    second_log = api.get(f"/projects/{project}/hooks/{hooks[1]['id']}/events").json()
    assert len(second_log) == 2 and len(logs) == 1


def test_one_uuid_fires_at_most_100_hooks_and_requests_without_one_are_not_capped(
    sandbox, api, acme, receiver
):
    project = acme["project"]
    for _ in range(101):
        api.post(f"/projects/{project}/hooks", json={"url": receiver.url, "issues_events": True})
    api.post(f"/projects/{project}/issues", json={"title": "fresh"})
    assert len(receiver.wait_for(101, timeout=60)) == 101
    receiver.clear()
    forwarded = {"X-Gitlab-Event-UUID": "6a1d2b5e-0000-4000-8000-000000000001"}
    api.post(f"/projects/{project}/issues", json={"title": "forwarded"}, headers=forwarded)
    assert len(receiver.wait_for(100, timeout=60)) == 100
    assert sandbox.stats()["webhooks"]["blocked_recursive"] == 1
    receiver.clear()
    api.post(f"/projects/{project}/issues", json={"title": "again"}, headers=forwarded)
    assert sandbox.stats()["webhooks"]["blocked_recursive"] == 102
    api.post(f"/projects/{project}/issues", json={"title": "marker"})
    assert len(receiver.wait_for(101, timeout=60)) == 101
    assert {d.json["object_attributes"]["title"] for d in receiver.deliveries} == {"marker"}


# -- 7. epic comments in work-item mode are work-item notes (GraphQL reference: createNote,
# WorkItemWidgetNotes); REST's /groups/:id/epics/:epic_id/notes is the deprecated API ------

NOTES = """
query($id: WorkItemID!) {
  workItem(id: $id) {
    widgets {
      ... on WorkItemWidgetNotes {
        discussions { nodes { id notes { nodes { id body internal author { username } } } } }
      }
    }
  }
}
"""
CREATE_NOTE = """
mutation($input: CreateNoteInput!) {
  createNote(input: $input) { errors note { id body discussion { id } } }
}
"""
UPDATE_NOTE = (
    "mutation($input: UpdateNoteInput!) { updateNote(input: $input) { errors note { body } } }"
)


def run(sandbox: Any, query: str, **variables: Any) -> dict[str, Any]:
    body = httpx.post(
        f"{sandbox.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers={"PRIVATE-TOKEN": sandbox.token},
    ).json()
    assert "errors" not in body, body
    return body["data"]


def test_epic_comments_are_work_item_notes_threads_and_hooks_included(sandbox, api, acme, receiver):
    api.post(f"/groups/{acme['group']}/hooks", json={"url": receiver.url, "note_events": True})
    epic = api.post(f"/groups/{acme['group']}/epics", json={"title": "Discovery"}).json()
    noteable = f"gid://gitlab/WorkItem/{epic['work_item_id']}"
    first = run(sandbox, CREATE_NOTE, input={"noteableId": noteable, "body": "/psdm status"})
    note = first["createNote"]["note"]
    assert first["createNote"]["errors"] == [] and note["body"] == "/psdm status"
    reply = run(
        sandbox,
        CREATE_NOTE,
        input={"noteableId": noteable, "body": "on it", "discussionId": note["discussion"]["id"]},
    )["createNote"]["note"]
    assert reply["discussion"]["id"] == note["discussion"]["id"]
    edited = run(sandbox, UPDATE_NOTE, input={"id": note["id"], "body": "/psdm status now"})
    assert edited["updateNote"]["note"]["body"] == "/psdm status now"
    widgets = run(sandbox, NOTES, id=noteable)["workItem"]["widgets"]
    (threads,) = [w["discussions"]["nodes"] for w in widgets if "discussions" in w]
    assert [[n["body"] for n in t["notes"]["nodes"]] for t in threads] == [
        ["/psdm status now", "on it"]
    ]
    deliveries = receiver.wait_for(3)
    actions = sorted(d.json["object_attributes"]["action"] for d in deliveries)
    assert actions == ["create", "create", "update"]
    assert {d.headers["x-gitlab-event"] for d in deliveries} == {"Note Hook"}


def test_issue_notes_are_one_store_for_rest_and_the_notes_widget(sandbox, api, acme):
    project = acme["project"]
    issue = api.post(f"/projects/{project}/issues", json={"title": "t"}).json()
    api.post(f"/projects/{project}/issues/{issue['iid']}/notes", json={"body": "by REST"})
    noteable = f"gid://gitlab/WorkItem/{issue['id']}"
    run(
        sandbox, CREATE_NOTE, input={"noteableId": noteable, "body": "by GraphQL", "internal": True}
    )
    listed = api.get(f"/projects/{project}/issues/{issue['iid']}/notes", params={"sort": "asc"})
    assert [(n["body"], n["internal"]) for n in listed.json()] == [
        ("by REST", False),
        ("by GraphQL", True),
    ]
