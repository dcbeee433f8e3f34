"""GraphQL work items: one store with REST, hierarchy rules, labels, tiers and errors."""

from __future__ import annotations

import gitlab
import httpx
import pytest
from gql.transport.exceptions import TransportQueryError

ITEM = """
query($id: WorkItemID!) {
  workItem(id: $id) {
    id iid title state workItemType { name }
    widgets {
      type
      ... on WorkItemWidgetHierarchy { parent { id } children { nodes { id } } }
      ... on WorkItemWidgetLabels { labels { nodes { title } } }
    }
  }
}
"""
UPDATE = """
mutation($input: WorkItemUpdateInput!) { workItemUpdate(input: $input) { errors } }
"""
ADD = """
mutation($id: WorkItemID!, $children: [WorkItemID!]!) {
  workItemHierarchyAddChildrenItems(input: {id: $id, childrenIds: $children}) {
    errors addedChildren { id }
  }
}
"""


def gid(number: int) -> str:
    return f"gid://gitlab/WorkItem/{number}"


def widget(item: dict, kind: str) -> dict:
    return next(w for w in item["widgets"] if w["type"] == kind)


@pytest.fixture
def setup(sandbox):
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "App", "namespace_id": group.id})
    return gl, group, project, sandbox.graphql()


def test_an_issue_is_the_same_object_in_rest_and_graphql(setup):
    _, _, project, client = setup
    project.labels.create({"name": "bug", "color": "#ff0000"})
    issue = project.issues.create({"title": "Kickoff", "labels": "bug"})
    item = client.execute(ITEM, variable_values={"id": gid(issue.id)})["workItem"]
    assert (item["iid"], item["title"], item["state"]) == ("1", "Kickoff", "OPEN")
    assert item["workItemType"]["name"] == "Issue"
    assert widget(item, "LABELS")["labels"]["nodes"] == [{"title": "bug"}]
    bug = project.labels.list()[0]
    client.execute(
        UPDATE,
        variable_values={
            "input": {
                "id": gid(issue.id),
                "title": "Kickoff meeting",
                "stateEvent": "CLOSE",
                "labelsWidget": {"removeLabelIds": [f"gid://gitlab/ProjectLabel/{bug.id}"]},
            }
        },
    )
    rest = project.issues.get(issue.iid)
    assert (rest.title, rest.state, rest.labels) == ("Kickoff meeting", "closed", [])


def test_hierarchy_moves_and_children_show_on_both_sides(setup):
    _, group, project, client = setup
    first = group.epics.create({"title": "Phase 1"})
    second = group.epics.create({"title": "Phase 2"})
    issue = project.issues.create({"title": "Work", "epic_id": first.id})
    task = project.issues.create({"title": "Step", "issue_type": "task"})
    assert project.issues.get(issue.iid).epic_iid == first.iid

    client.execute(
        UPDATE,
        variable_values={
            "input": {
                "id": gid(issue.id),
                "hierarchyWidget": {"parentId": gid(second.work_item_id)},
            }
        },
    )
    added = client.execute(ADD, variable_values={"id": gid(issue.id), "children": [gid(task.id)]})
    assert added["workItemHierarchyAddChildrenItems"]["errors"] == []

    assert [i.iid for i in group.epics.get(second.iid).issues.list()] == [issue.iid]
    assert group.epics.get(first.iid).issues.list() == []
    item = client.execute(ITEM, variable_values={"id": gid(issue.id)})["workItem"]
    hierarchy = widget(item, "HIERARCHY")
    assert hierarchy["parent"]["id"] == gid(second.work_item_id)
    assert hierarchy["children"]["nodes"] == [{"id": gid(task.id)}]


def test_cycles_and_wrong_parent_types_are_payload_errors(setup, sandbox):
    sandbox.seed({"tier": "ultimate"})
    _, group, project, client = setup
    parent = group.epics.create({"title": "Parent"})
    child = group.epics.create({"title": "Child", "parent_id": parent.id})
    cycle = client.execute(
        ADD, variable_values={"id": gid(child.work_item_id), "children": [gid(parent.work_item_id)]}
    )["workItemHierarchyAddChildrenItems"]
    assert cycle["addedChildren"] == []
    assert "cannot be added" in cycle["errors"][0]
    issue = project.issues.create({"title": "Issue"})
    under_issue = client.execute(
        ADD, variable_values={"id": gid(issue.id), "children": [gid(parent.work_item_id)]}
    )["workItemHierarchyAddChildrenItems"]
    assert under_issue["errors"] == [
        "&1 cannot be added: it's not allowed to add this type of parent item"
    ]


def test_free_tier_lists_the_epic_type_but_refuses_epic_creation(sandbox_free):
    gl = sandbox_free.gitlab()
    gl.groups.create({"name": "Acme", "path": "acme"})
    client = sandbox_free.graphql()
    types = client.execute('{ namespace(fullPath: "acme") { workItemTypes { nodes { name } } } }')
    assert {"name": "Epic"} in types["namespace"]["workItemTypes"]["nodes"]
    with pytest.raises(TransportQueryError) as refused:
        client.execute(
            'mutation { workItemCreate(input: {namespacePath: "acme", title: "E", '
            'workItemTypeId: "gid://gitlab/WorkItems::Type/8"}) { errors } }'
        )
    assert "you don't have permission" in str(refused.value)


def test_anonymous_queries_see_no_user_and_bad_tokens_are_401(sandbox):
    anonymous = httpx.post(f"{sandbox.url}/api/graphql", json={"query": "{ currentUser { id } }"})
    assert anonymous.json() == {"data": {"currentUser": None}}
    with pytest.raises(gitlab.GitlabAuthenticationError):
        gitlab.GraphQL(sandbox.url, token="wrong").execute("{ currentUser { id } }")


def test_work_items_of_a_namespace_page_with_cursors(setup):
    _, _, project, client = setup
    for number in range(5):
        project.issues.create({"title": f"i{number}"})
    query = """
    query($after: String) { project(fullPath: "acme/app") {
      workItems(first: 2, after: $after) { count nodes { iid } pageInfo { hasNextPage endCursor } }
    } }
    """
    seen, after = [], None
    while True:
        page = client.execute(query, variable_values={"after": after})["project"]["workItems"]
        seen += [node["iid"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == ["1", "2", "3", "4", "5"] and page["count"] == 5


def test_queries_with_values_written_inline_are_validated_like_any_other(setup):
    _, _, project, client = setup
    project.issues.create({"title": "Kickoff"})
    for path in ("acme/app", "acme/other"):
        found = client.execute(f'{{ project(fullPath: "{path}") {{ workItems {{ count }} }} }}')
        assert found["project"] == ({"workItems": {"count": 1}} if path == "acme/app" else None)
    for wrong in (
        '{ project(fullPath: "acme/app") { workItems { count colour } } }',
        '{ project(fullPath: "acme/app") { workItems(first: "two") { count } } }',
    ):
        with pytest.raises(TransportQueryError, match=r"colour|Int"):
            client.execute(wrong)
