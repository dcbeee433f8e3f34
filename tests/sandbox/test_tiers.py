"""Free, Premium and Ultimate are three different GitLabs: one test per row of verified.md §1.

Each row names the GitLab page it follows (`GL:` is a file of gitlabhq/gitlabhq).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

TIERS = ("free", "premium", "ultimate")
NO_MATCHING = "No matching work item found. Make sure that you are adding a valid work item ID."
EPIC_TYPE = "gid://gitlab/WorkItems::Type/8"
CREATE = """
mutation($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) { errors workItem { id iid } }
}
"""
UPDATE = "mutation($input: WorkItemUpdateInput!) { workItemUpdate(input: $input) { errors } }"
ADD = """
mutation($id: WorkItemID!, $children: [WorkItemID!]!) {
  workItemHierarchyAddChildrenItems(input: {id: $id, childrenIds: $children}) {
    errors addedChildren { id }
  }
}
"""


@dataclass
class Instance:
    """A freshly reset sandbox on one tier, with group `acme` and project `acme/app`."""

    tier: str
    api: httpx.Client
    url: str
    group_id: int
    project_id: int

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.api.post(
            f"{self.url}/api/graphql", json={"query": query, "variables": variables}
        ).json()
        assert "errors" not in body, body
        return body["data"]

    def epic(self, title: str, **fields: Any) -> httpx.Response:
        return self.api.post(f"/groups/{self.group_id}/epics", json={"title": title, **fields})

    def issue(self, title: str, **fields: Any) -> dict[str, Any]:
        response = self.api.post(
            f"/projects/{self.project_id}/issues", json={"title": title, **fields}
        )
        assert response.status_code == 201, response.text
        return response.json()


def _instance(sandbox_server: Any, tier: str) -> Iterator[Instance]:
    sandbox_server.reset(tier)
    api = httpx.Client(
        base_url=f"{sandbox_server.url}/api/v4",
        headers={"PRIVATE-TOKEN": sandbox_server.token},
        timeout=30,
    )
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
    yield Instance(tier, api, sandbox_server.url, group["id"], project["id"])
    api.close()


@pytest.fixture(params=TIERS)
def instance(request: pytest.FixtureRequest, sandbox_server: Any) -> Iterator[Instance]:
    yield from _instance(sandbox_server, request.param)


@pytest.fixture
def premium(sandbox_server: Any) -> Iterator[Instance]:
    yield from _instance(sandbox_server, "premium")


@pytest.fixture
def ultimate(sandbox_server: Any) -> Iterator[Instance]:
    yield from _instance(sandbox_server, "ultimate")


def wid(item: dict[str, Any]) -> str:
    return f"gid://gitlab/WorkItem/{item.get('work_item_id', item['id'])}"


# -- epics (GL:doc/user/group/epics/_index.md) -----------------------------------------------


def test_group_epics_holding_issues_exist_from_premium_on(instance):
    epic = instance.epic("Discovery")
    if instance.tier == "free":
        assert epic.status_code == 403
        return
    assert epic.status_code == 201
    issue = instance.issue("Interview")
    added = instance.api.post(
        f"/groups/{instance.group_id}/epics/{epic.json()['iid']}/issues/{issue['id']}"
    )
    assert added.status_code == 201
    assert added.json()["issue"]["epic_iid"] == epic.json()["iid"]


# -- multi-level epics (GL:doc/user/group/epics/manage_epics.md, GL:doc/api/epic_links.md) ---


def test_premium_refuses_a_parent_epic_through_rest_with_403(premium):
    parent = premium.epic("Engagement").json()
    assert premium.epic("Phase", parent_id=parent["id"]).status_code == 403
    assert [e["title"] for e in premium.api.get(f"/groups/{premium.group_id}/epics").json()] == [
        "Engagement"
    ], "nothing is created when the parent is refused"
    child = premium.epic("Phase").json()
    moved = premium.api.put(
        f"/groups/{premium.group_id}/epics/{child['iid']}", json={"parent_id": parent["id"]}
    )
    assert moved.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/epics/{parent}/epics"),
        ("POST", "/epics/{parent}/epics/{child}"),
        ("POST", "/epics/{parent}/epics?title=New"),
        ("DELETE", "/epics/{parent}/epics/{child}"),
    ],
)
def test_premium_answers_403_on_every_epic_links_endpoint(premium, method, path):
    parent = premium.epic("Engagement").json()
    child = premium.epic("Phase").json()
    url = f"/groups/{premium.group_id}" + path.format(parent=parent["iid"], child=child["id"])
    assert premium.api.request(method, url).status_code == 403


def test_premium_refuses_an_epic_parent_on_work_item_create_and_creates_nothing(premium):
    parent = premium.epic("Engagement").json()
    created = premium.graphql(
        CREATE,
        input={
            "namespacePath": "acme",
            "title": "Phase",
            "workItemTypeId": EPIC_TYPE,
            "hierarchyWidget": {"parentId": wid(parent)},
        },
    )["workItemCreate"]
    assert created == {"errors": [NO_MATCHING], "workItem": None}
    assert len(premium.api.get(f"/groups/{premium.group_id}/epics").json()) == 1


def test_premium_refuses_an_epic_parent_on_work_item_update_and_on_add_children(premium):
    parent = premium.epic("Engagement").json()
    child = premium.epic("Phase").json()
    updated = premium.graphql(
        UPDATE, input={"id": wid(child), "hierarchyWidget": {"parentId": wid(parent)}}
    )
    assert updated["workItemUpdate"]["errors"] == [NO_MATCHING]
    added = premium.graphql(ADD, id=wid(parent), children=[wid(child)])
    assert added["workItemHierarchyAddChildrenItems"] == {
        "errors": [NO_MATCHING],
        "addedChildren": [],
    }
    by_children = premium.graphql(
        UPDATE, input={"id": wid(parent), "hierarchyWidget": {"childrenIds": [wid(child)]}}
    )
    assert by_children["workItemUpdate"]["errors"] == [NO_MATCHING]
    shown = premium.api.get(f"/groups/{premium.group_id}/epics/{child['iid']}").json()
    assert shown["parent_id"] is None


def test_premium_epics_still_take_issues_through_the_work_item_hierarchy(premium):
    epic = premium.epic("Phase").json()
    issue = premium.issue("Kickoff")
    added = premium.graphql(ADD, id=wid(epic), children=[f"gid://gitlab/WorkItem/{issue['id']}"])
    assert added["workItemHierarchyAddChildrenItems"]["errors"] == []


def test_ultimate_nests_epics_seven_levels_deep_and_no_deeper(ultimate):
    parent = ultimate.epic("Level 1").json()
    for level in range(2, 8):
        parent = ultimate.epic(f"Level {level}", parent_id=parent["id"]).json()
        assert parent["parent_id"] is not None
    eighth = ultimate.epic("Level 8", parent_id=parent["id"])
    assert eighth.status_code == 400
    assert "reached maximum depth" in eighth.json()["message"]


def test_ultimate_allows_at_most_100_direct_child_epics(ultimate):
    parent = ultimate.epic("Engagement").json()
    for number in range(100):
        assert ultimate.epic(f"Child {number}", parent_id=parent["id"]).status_code == 201
    extra = ultimate.epic("One too many").json()
    added = ultimate.graphql(ADD, id=wid(parent), children=[wid(extra)])
    assert added["workItemHierarchyAddChildrenItems"]["errors"] == [
        f"&{extra['iid']} cannot be added: parent already has maximum number of children."
    ]


def test_ultimate_creates_child_epics_through_the_epic_links_api(ultimate):
    parent = ultimate.epic("Engagement").json()
    created = ultimate.api.post(
        f"/groups/{ultimate.group_id}/epics/{parent['iid']}/epics", params={"title": "Phase"}
    )
    assert created.status_code == 201
    assert created.json()["parent_id"] == parent["id"]
    listed = ultimate.api.get(f"/groups/{ultimate.group_id}/epics/{parent['iid']}/epics").json()
    assert [e["title"] for e in listed] == ["Phase"]


# -- linked epics (GL:doc/user/group/epics/linked_epics.md, GL:doc/api/linked_epics.md) ------


def test_linked_epics_are_ultimate_only(instance):
    if instance.tier == "free":
        assert instance.epic("A").status_code == 403
        return
    first, second = instance.epic("A").json(), instance.epic("B").json()
    base = f"/groups/{instance.group_id}/epics/{first['iid']}/related_epics"
    linked = instance.api.post(
        base, json={"target_group_id": instance.group_id, "target_epic_iid": second["iid"]}
    )
    if instance.tier == "premium":
        assert linked.status_code == 403
        assert instance.api.get(base).status_code == 403
        return
    assert linked.status_code == 201
    assert [e["title"] for e in instance.api.get(base).json()] == ["B"]


# -- work items and issue links --------------------------------------------------------------


def test_tasks_under_issues_exist_on_every_tier(instance):
    issue = instance.issue("Kickoff")
    task = instance.issue("Book the room", issue_type="task")
    added = instance.graphql(ADD, id=wid(issue), children=[wid(task)])
    assert added["workItemHierarchyAddChildrenItems"]["errors"] == []


@pytest.mark.parametrize(("link_type", "minimum"), [("relates_to", "free"), ("blocks", "premium")])
def test_issue_link_types_follow_the_tier(instance, link_type, minimum):
    """GL:doc/api/issue_links.md: relates_to everywhere, blocks / is_blocked_by Premium+."""
    source, target = instance.issue("Source"), instance.issue("Target")
    response = instance.api.post(
        f"/projects/{instance.project_id}/issues/{source['iid']}/links",
        json={
            "target_project_id": instance.project_id,
            "target_issue_iid": target["iid"],
            "link_type": link_type,
        },
    )
    allowed = TIERS.index(instance.tier) >= TIERS.index(minimum)
    assert response.status_code == (201 if allowed else 403)


def test_scoped_labels_are_exclusive_from_premium_on_and_plain_on_free(instance):
    """GL:doc/user/project/labels.md "Scoped labels": adding a::y removes a::x."""
    issue = instance.issue("Kickoff", labels="phase::discovery,team")
    updated = instance.api.put(
        f"/projects/{instance.project_id}/issues/{issue['iid']}",
        json={"add_labels": "phase::delivery"},
    ).json()
    if instance.tier == "free":
        assert sorted(updated["labels"]) == ["phase::delivery", "phase::discovery", "team"]
    else:
        assert sorted(updated["labels"]) == ["phase::delivery", "team"]


def test_group_webhooks_exist_from_premium_on(instance):
    """GL:doc/user/project/integrations/webhooks.md "Group webhooks": CE has no such route."""
    response = instance.api.post(
        f"/groups/{instance.group_id}/hooks", json={"url": "http://127.0.0.1:9/hook"}
    )
    assert response.status_code == (404 if instance.tier == "free" else 201)


def test_iterations_exist_from_premium_on(instance):
    """GL:doc/api/group_iterations.md "Tier: Premium, Ultimate"."""
    response = instance.api.get(f"/groups/{instance.group_id}/iterations")
    assert response.status_code == (404 if instance.tier == "free" else 200)


def test_issue_weight_is_kept_from_premium_on(instance):
    issue = instance.issue("Kickoff", weight=3)
    stored = instance.api.get(f"/projects/{instance.project_id}/issues/{issue['iid']}").json()
    assert stored.get("weight") == (None if instance.tier == "free" else 3)


def test_health_status_is_kept_on_ultimate_only(instance):
    issue = instance.issue("Kickoff", health_status="at_risk")
    stored = instance.api.get(f"/projects/{instance.project_id}/issues/{issue['iid']}").json()
    assert stored.get("health_status") == ("at_risk" if instance.tier == "ultimate" else None)


def test_dora_metrics_answer_403_below_ultimate_and_count_deployments_on_it(instance):
    """GL:doc/api/dora/metrics.md: deployment_frequency is the number of successful
    deployments in the period, not a rate."""
    deployments = f"/projects/{instance.project_id}/deployments"
    for environment, status in [
        ("production", "success"),
        ("production", "success"),
        ("production", "success"),
        ("production", "failed"),
        ("staging", "success"),
    ]:
        made = instance.api.post(
            deployments,
            json={
                "environment": environment,
                "sha": "a" * 40,
                "ref": "main",
                "tag": False,
                "status": status,
            },
        )
        assert made.status_code == 201
    paths = [
        f"/projects/{instance.project_id}/dora/metrics",
        f"/groups/{instance.group_id}/dora/metrics",
    ]
    for path in paths:
        whole = instance.api.get(path, params={"metric": "deployment_frequency", "interval": "all"})
        if instance.tier != "ultimate":
            assert whole.status_code == 403
            continue
        assert whole.json() == [{"date": None, "value": 3}]
        daily = instance.api.get(path, params={"metric": "deployment_frequency"}).json()
        assert len(daily) == 91 and sum(day["value"] for day in daily) == 3
        assert daily[-1]["value"] == 3
        monthly = instance.api.get(
            path, params={"metric": "deployment_frequency", "interval": "monthly"}
        ).json()
        assert sum(month["value"] for month in monthly) == 3
        assert all(month["date"].endswith("-01") for month in monthly)
    if instance.tier == "ultimate":
        refused = instance.api.get(paths[0], params={"metric": "speed"})
        assert refused.status_code == 400


def test_work_item_types_list_every_type_on_every_tier(instance):
    """The types resolver: "All groups/projects use all types for now"."""
    query = '{ namespace(fullPath: "acme") { workItemTypes { nodes { name } } } }'
    names = {n["name"] for n in instance.graphql(query)["namespace"]["workItemTypes"]["nodes"]}
    assert {"Epic", "Issue", "Task", "Incident"} <= names


def test_an_epic_create_on_free_is_refused_at_create_time(instance):
    body = instance.api.post(
        f"{instance.url}/api/graphql",
        json={
            "query": CREATE,
            "variables": {
                "input": {"namespacePath": "acme", "title": "E", "workItemTypeId": EPIC_TYPE}
            },
        },
    ).json()
    if instance.tier == "free":
        assert "don't have permission" in body["errors"][0]["message"]
    else:
        assert body["data"]["workItemCreate"]["errors"] == []


# -- where the tier can be read ------------------------------------------------------------


def test_the_license_names_the_plan_to_administrators_on_ee_only(instance, sandbox_server):
    """GL:doc/api/license.md: self-managed, administrators only; CE has no license route."""
    response = instance.api.get("/license")
    if instance.tier == "free":
        assert response.status_code == 404
        return
    assert response.json()["plan"] == instance.tier
    sandbox_server.seed({"users": [{"username": "rita"}]})
    as_rita = instance.api.get("/license", headers={"PRIVATE-TOKEN": "rita-token"})
    assert as_rita.status_code == 403


def test_the_namespace_plan_and_metadata_tell_the_tier(instance):
    """GL:doc/api/namespaces.md (`plan`, GitLab.com) and GL:doc/api/metadata.md (`enterprise`)."""
    namespace = instance.api.get(f"/namespaces/{instance.group_id}").json()
    assert namespace["plan"] == instance.tier
    metadata = instance.api.get("/metadata").json()
    assert metadata["enterprise"] is (instance.tier != "free")
