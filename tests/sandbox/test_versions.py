"""GitLab versions: each row of verified.md §2 exists from its version on, and not before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from gitlab_sandbox import create_app
from gitlab_sandbox.versions import SINCE


@pytest.fixture
def at(sandbox_server: Any) -> Iterator[Any]:
    """`at(version, tier="premium")` resets the shared sandbox to that GitLab; an httpx client."""
    clients: list[httpx.Client] = []

    def reset(version: str, tier: str = "premium") -> httpx.Client:
        sandbox_server.control("POST", "reset", {"tier": tier, "gitlab_version": version})
        client = httpx.Client(
            base_url=f"{sandbox_server.url}/api/v4",
            headers={"PRIVATE-TOKEN": sandbox_server.token},
            timeout=30,
        )
        clients.append(client)
        return client

    yield reset
    for client in clients:
        client.close()
    sandbox_server.control("POST", "reset", {"tier": "premium"})


def graphql(api: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    url = str(api.base_url).rstrip("/").removesuffix("/api/v4") + "/api/graphql"
    return api.post(url, json={"query": query, "variables": variables}).json()


@pytest.mark.parametrize(
    ("asked", "answered"),
    [("17.6", "17.6.0"), ("18.0", "18.0.0"), ("18.2", "18.2.0"), ("latest", "18.6.0")],
)
def test_version_and_metadata_answer_the_version_played(at, asked, answered):
    api = at(asked)
    assert api.get("/version").json()["version"] == f"{answered}-ee"
    assert api.get("/metadata").json()["version"] == f"{answered}-ee"
    meta = graphql(api, "{ metadata { version enterprise } }")["data"]["metadata"]
    assert meta == {"version": f"{answered}-ee", "enterprise": True}


def test_ce_answers_its_version_without_the_ee_suffix(at):
    assert at("18.0", "free").get("/version").json()["version"] == "18.0.0"


@pytest.mark.parametrize("bad", ["19.0", "18.99", "15.11", "eighteen", ""])
def test_an_unknown_version_is_a_clear_error_everywhere(sandbox_server, bad):
    refused = httpx.post(
        f"{sandbox_server.url}/-/sandbox/reset",
        json={"gitlab_version": bad},
        headers={"PRIVATE-TOKEN": sandbox_server.token},
    )
    assert refused.status_code == 400
    assert "unknown GitLab version" in refused.json()["message"]
    with pytest.raises(ValueError, match="unknown GitLab version"):
        create_app(gitlab_version=bad)
    result = CliRunner().invoke(cli, ["sandbox", "--gitlab-version", bad or "x"])
    assert result.exit_code == 2
    assert "unknown GitLab version" in result.output


def test_every_version_row_names_the_gitlab_page_that_dates_it():
    assert all(row.source.startswith("GL:doc/") for row in SINCE.values())


# -- GraphQL: fields and arguments from their version on -----------------------------------

NAMESPACE_ITEMS = '{ namespace(fullPath: "acme") { workItems { nodes { title } } } }'
NAMESPACE_TYPES = '{ namespace(fullPath: "acme") { workItemTypes { nodes { name } } } }'


@pytest.mark.parametrize(
    ("query", "field", "before", "since"),
    [
        (NAMESPACE_ITEMS, "workItems", "18.0", "18.1"),
        (NAMESPACE_TYPES, "workItemTypes", "17.1", "17.2"),
    ],
)
def test_namespace_fields_exist_from_their_version_on(at, query, field, before, since):
    old = at(before)
    old.post("/groups", json={"name": "Acme", "path": "acme"})
    refused = graphql(old, query)
    assert "data" not in refused
    assert refused["errors"][0]["message"] == f"Field '{field}' doesn't exist on type 'Namespace'"
    new = at(since)
    new.post("/groups", json={"name": "Acme", "path": "acme"})
    assert "errors" not in graphql(new, query)


def test_namespace_work_items_are_not_there_on_17_6_or_18_0_and_are_on_18_2(at):
    for version, present in [("17.6", False), ("18.0", False), ("18.2", True)]:
        api = at(version)
        api.post("/groups", json={"name": "Acme", "path": "acme"})
        assert ("errors" not in graphql(api, NAMESPACE_ITEMS)) is present, version


CREATE_LINKED = """
mutation($input: WorkItemCreateInput!) { workItemCreate(input: $input) { errors } }
"""


def test_linked_items_on_create_exist_from_17_4(at):
    def attempt(version: str) -> dict[str, Any]:
        api = at(version)
        group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
        project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
        other = api.post(f"/projects/{project['id']}/issues", json={"title": "Other"}).json()
        inline = (
            'mutation { workItemCreate(input: {namespacePath: "acme/app", title: "New", '
            'workItemTypeId: "gid://gitlab/WorkItems::Type/1", linkedItemsWidget: '
            f'{{workItemsIds: ["gid://gitlab/WorkItem/{other["id"]}"]}}}}) {{ errors }} }}'
        )
        by_variables = graphql(
            api,
            CREATE_LINKED,
            input={
                "namespacePath": "acme/app",
                "title": "New",
                "workItemTypeId": "gid://gitlab/WorkItems::Type/1",
                "linkedItemsWidget": {"workItemsIds": [f"gid://gitlab/WorkItem/{other['id']}"]},
            },
        )
        return {"inline": graphql(api, inline), "variables": by_variables}

    old = attempt("17.3")
    assert old["inline"]["errors"][0]["message"] == (
        "InputObject 'WorkItemCreateInput' doesn't accept argument 'linkedItemsWidget'"
    )
    assert old["variables"]["errors"][0]["message"] == (
        "Variable $input of type WorkItemCreateInput! was provided invalid value for "
        "linkedItemsWidget (Field is not defined on WorkItemCreateInput)"
    )
    new = attempt("17.4")
    assert new["inline"]["data"]["workItemCreate"]["errors"] == []
    assert new["variables"]["data"]["workItemCreate"]["errors"] == []


LINKED_WIDGET = """
query($id: WorkItemID!) {
  workItem(id: $id) { widgets { type ... on WorkItemWidgetLinkedItems { blocked } } }
}
"""


def test_the_linked_items_widget_exists_from_16_3(at):
    for version, present in [("16.2", False), ("16.3", True)]:
        api = at(version)
        project = api.post("/projects", json={"name": "App"}).json()
        issue = api.post(f"/projects/{project['id']}/issues", json={"title": "t"}).json()
        answer = graphql(api, LINKED_WIDGET, id=f"gid://gitlab/WorkItem/{issue['id']}")
        if present:
            types = [w["type"] for w in answer["data"]["workItem"]["widgets"]]
            assert "LINKED_ITEMS" in types
        else:
            assert answer["errors"][0]["message"] == (
                "No such type WorkItemWidgetLinkedItems, so it can't be a fragment condition"
            )


# -- REST ------------------------------------------------------------------------------------


def test_include_ancestors_lists_group_milestones_from_16_7(at):
    for version, shown in [("16.6", ["Sprint"]), ("16.7", ["Release", "Sprint"])]:
        api = at(version)
        group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
        project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
        api.post(f"/groups/{group['id']}/milestones", json={"title": "Release"})
        api.post(f"/projects/{project['id']}/milestones", json={"title": "Sprint"})
        listed = api.get(
            f"/projects/{project['id']}/milestones", params={"include_ancestors": True}
        ).json()
        assert sorted(m["title"] for m in listed) == shown, version
        legacy = api.get(
            f"/projects/{project['id']}/milestones", params={"include_parent_milestones": True}
        ).json()
        assert len(legacy) == 2, "the deprecated name works on every version"


# -- webhooks ----------------------------------------------------------------------------------


def _project_with_hook(api: httpx.Client, url: str, **events: bool) -> dict[str, Any]:
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
    api.post(f"/projects/{project['id']}/hooks", json={"url": url, **events})
    return project


def events_up_to_marker(
    api: httpx.Client, project: dict[str, Any], receiver: Any, expect_event: bool
) -> list[str]:
    """Create a marker issue and return the sorted event names received up to its hook."""
    api.post(f"/projects/{project['id']}/issues", json={"title": "marker"})
    receiver.wait_for(2 if expect_event else 1)
    return sorted(d.headers["x-gitlab-event"] for d in receiver.deliveries)


def test_note_hooks_carry_an_action_from_16_11(at, receiver):
    for version, has_action in [("16.10", False), ("16.11", True)]:
        receiver.clear()
        api = at(version)
        project = _project_with_hook(api, receiver.url, note_events=True, push_events=False)
        issue = api.post(f"/projects/{project['id']}/issues", json={"title": "t"}).json()
        api.post(f"/projects/{project['id']}/issues/{issue['iid']}/notes", json={"body": "hi"})
        (delivery,) = receiver.wait_for(1)
        assert ("action" in delivery.json["object_attributes"]) is has_action, version


def test_milestone_events_are_sent_from_18_2(at, receiver):
    for version in ("18.0", "18.2"):
        api = at(version)
        receiver.clear()
        project = _project_with_hook(
            api, receiver.url, milestone_events=True, issues_events=True, push_events=False
        )
        api.post(f"/projects/{project['id']}/milestones", json={"title": "Sprint 1"})
        present = version == "18.2"
        assert events_up_to_marker(api, project, receiver, present) == (
            ["Issue Hook", "Milestone Hook"] if present else ["Issue Hook"]
        ), version


def test_group_hooks_hear_project_events_from_17_6(at, receiver):
    for version in ("17.5", "17.6"):
        api = at(version)
        receiver.clear()
        group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
        api.post(
            f"/groups/{group['id']}/hooks",
            json={"url": receiver.url, "project_events": True, "issues_events": True},
        )
        project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
        present = version == "17.6"
        assert events_up_to_marker(api, project, receiver, present) == (
            ["Issue Hook", "Project Hook"] if present else ["Issue Hook"]
        ), version


def test_deliveries_name_the_version_in_their_user_agent(at, receiver):
    api = at("18.0")
    project = _project_with_hook(api, receiver.url, issues_events=True, push_events=False)
    api.post(f"/projects/{project['id']}/issues", json={"title": "t"})
    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["user-agent"] == "GitLab/18.0.0"


# -- behind a feature flag -------------------------------------------------------------------


def test_webhook_signing_waits_for_its_feature_flag(sandbox_server, receiver):
    """MR 230944: `signing_token` works only with the `webhook_signing_token` flag on."""
    token = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    for flags, signed in [([], False), (["webhook_signing_token"], True)]:
        sandbox_server.control("POST", "reset", {"tier": "premium", "feature_flags": flags})
        receiver.clear()
        gl = sandbox_server.gitlab()
        project = gl.projects.create({"name": "App"})
        hook = project.hooks.create(
            {"url": receiver.url, "issues_events": True, "signing_token": token}
        )
        project.issues.create({"title": "t"})
        (delivery,) = receiver.wait_for(1)
        assert ("webhook-signature" in delivery.headers) is signed
        assert project.hooks.get(hook.id).signing_token_present is signed
    sandbox_server.control("POST", "reset", {"tier": "premium", "feature_flags": []})
    unknown = CliRunner().invoke(cli, ["sandbox", "--feature-flag", "telepathy"])
    assert unknown.exit_code == 2 and "unknown feature flag" in unknown.output
