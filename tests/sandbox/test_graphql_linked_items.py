"""Linked items in GraphQL: the LINKED_ITEMS widget and linkedItemsWidget on create, one link
store with REST's /links; and project milestone lists with include_ancestors."""

from __future__ import annotations

import pytest
from gql.transport.exceptions import TransportQueryError

LINKS = """
query($path: ID!, $iids: [String!]) {
  project(fullPath: $path) {
    workItems(iids: $iids) {
      nodes {
        iid
        widgets {
          type
          ... on WorkItemWidgetLinkedItems {
            blocked
            linkedItems { nodes { linkType workItemState workItem { id iid title } } }
          }
        }
      }
    }
  }
}
"""
FILTERED = """
query($path: ID!, $iid: String!, $filter: WorkItemRelatedLinkType) {
  project(fullPath: $path) {
    workItem(iid: $iid) {
      widgets {
        ... on WorkItemWidgetLinkedItems { linkedItems(filter: $filter) { nodes { linkType } } }
      }
    }
  }
}
"""
TYPES = """
query($path: ID!) { project(fullPath: $path) { workItemTypes(name: ISSUE) { nodes { id } } } }
"""
CREATE = """
mutation($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) {
    errors
    workItem {
      id iid
      widgets {
        ... on WorkItemWidgetLinkedItems { linkedItems { nodes { linkType workItem { iid } } } }
      }
    }
  }
}
"""


def gid(kind: str, number: int) -> str:
    return f"gid://gitlab/{kind}/{number}"


def linked_items(node: dict) -> list[dict]:
    widget = next(w for w in node["widgets"] if "linkedItems" in w)
    return widget["linkedItems"]["nodes"]


def make_project(server):
    gl = server.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "App", "path": "app", "namespace_id": group.id})
    return gl, group, project, server.graphql()


def issue_type(client) -> str:
    return client.execute(TYPES, variable_values={"path": "acme/app"})["project"]["workItemTypes"][
        "nodes"
    ][0]["id"]


@pytest.fixture(params=["premium", "free"])
def tier_setup(request):
    server = request.getfixturevalue("sandbox" if request.param == "premium" else "sandbox_free")
    return (*make_project(server), request.param)


def test_a_link_made_through_rest_shows_on_both_ends_in_graphql(tier_setup):
    _, _, project, client, _ = tier_setup
    parent = project.issues.create({"title": "Discovery"})
    child = project.issues.create({"title": "Kickoff"})
    other = project.issues.create({"title": "Unrelated"})
    child.links.create({"target_project_id": project.id, "target_issue_iid": parent.iid})
    found = client.execute(
        LINKS, variable_values={"path": "acme/app", "iids": [str(parent.iid), str(child.iid)]}
    )["project"]["workItems"]["nodes"]
    by_iid = {node["iid"]: linked_items(node) for node in found}
    assert set(by_iid) == {str(parent.iid), str(child.iid)}, "the iids filter holds"
    assert by_iid[str(parent.iid)] == [
        {
            "linkType": "relates_to",
            "workItemState": "OPEN",
            "workItem": {
                "id": gid("WorkItem", child.id),
                "iid": str(child.iid),
                "title": "Kickoff",
            },
        }
    ]
    assert [n["workItem"]["iid"] for n in by_iid[str(child.iid)]] == [str(parent.iid)]
    alone = client.execute(LINKS, variable_values={"path": "acme/app", "iids": [str(other.iid)]})
    assert linked_items(alone["project"]["workItems"]["nodes"][0]) == []


def test_an_issue_created_with_linked_items_is_linked_in_rest_in_one_request(tier_setup):
    _, _, project, client, _ = tier_setup
    project.labels.create({"name": "phase::discovery", "color": "#336699"})
    label = project.labels.list()[0]
    milestone = project.milestones.create({"title": "Sprint 1"})
    parent = project.issues.create({"title": "Discovery"})
    made = client.execute(
        CREATE,
        variable_values={
            "input": {
                "projectPath": "acme/app",
                "workItemTypeId": issue_type(client),
                "title": "Kickoff",
                "confidential": True,
                "descriptionWidget": {"description": "Agenda"},
                "labelsWidget": {"labelIds": [gid("Label", label.id)]},
                "milestoneWidget": {"milestoneId": gid("Milestone", milestone.id)},
                "linkedItemsWidget": {"workItemsIds": [gid("WorkItem", parent.id)]},
            }
        },
    )["workItemCreate"]
    assert made["errors"] == []
    assert linked_items(made["workItem"]) == [
        {"linkType": "relates_to", "workItem": {"iid": str(parent.iid)}}
    ]
    issue = project.issues.get(int(made["workItem"]["iid"]))
    assert (issue.title, issue.description, issue.labels, issue.confidential) == (
        "Kickoff",
        "Agenda",
        ["phase::discovery"],
        True,
    )
    assert issue.milestone["id"] == milestone.id
    assert [link.iid for link in parent.links.list()] == [issue.iid]
    assert [link.link_type for link in issue.links.list()] == ["relates_to"]


def test_blocking_links_are_premium_and_each_end_sees_its_side(sandbox):
    _, _, project, client = make_project(sandbox)
    blocker = project.issues.create({"title": "Access granted"})
    made = client.execute(
        CREATE,
        variable_values={
            "input": {
                "projectPath": "acme/app",
                "workItemTypeId": issue_type(client),
                "title": "Migrate repositories",
                "linkedItemsWidget": {
                    "workItemsIds": [gid("WorkItem", blocker.id)],
                    "linkType": "BLOCKED_BY",
                },
            }
        },
    )["workItemCreate"]
    assert linked_items(made["workItem"])[0]["linkType"] == "is_blocked_by"
    assert [link.link_type for link in blocker.links.list()] == ["blocks"]
    iid = made["workItem"]["iid"]

    def filtered(kind: str) -> list[list[dict]]:
        variables = {"path": "acme/app", "iid": iid, "filter": kind}
        widgets = client.execute(FILTERED, variable_values=variables)["project"]["workItem"]
        return [w["linkedItems"]["nodes"] for w in widgets["widgets"] if w]

    assert filtered("RELATED") == [[]]
    assert filtered("BLOCKED_BY") == [[{"linkType": "is_blocked_by"}]]
    blocked = client.execute(LINKS, variable_values={"path": "acme/app", "iids": [iid]})
    widget = blocked["project"]["workItems"]["nodes"][0]["widgets"]
    assert next(w for w in widget if w["type"] == "LINKED_ITEMS")["blocked"] is True


def test_free_refuses_blocking_links_and_creates_nothing(sandbox_free):
    _, _, project, client = make_project(sandbox_free)
    other = project.issues.create({"title": "Access granted"})
    with pytest.raises(TransportQueryError, match="invalid value"):
        client.execute(
            CREATE,
            variable_values={
                "input": {
                    "projectPath": "acme/app",
                    "workItemTypeId": issue_type(client),
                    "title": "Migrate",
                    "linkedItemsWidget": {
                        "workItemsIds": [gid("WorkItem", other.id)],
                        "linkType": "BLOCKS",
                    },
                }
            },
        )
    assert [issue.title for issue in project.issues.list()] == ["Access granted"]


def test_more_than_ten_linked_items_are_refused_before_anything_is_created(sandbox):
    _, _, project, client = make_project(sandbox)
    ids = [gid("WorkItem", project.issues.create({"title": f"t{n}"}).id) for n in range(11)]
    with pytest.raises(TransportQueryError, match="No more than 10 work items"):
        client.execute(
            CREATE,
            variable_values={
                "input": {
                    "projectPath": "acme/app",
                    "workItemTypeId": issue_type(client),
                    "title": "Too many",
                    "linkedItemsWidget": {"workItemsIds": ids},
                }
            },
        )
    assert len(project.issues.list(get_all=True)) == 11


def test_an_unknown_linked_item_is_a_payload_error_and_the_item_still_exists(sandbox):
    _, _, project, client = make_project(sandbox)
    made = client.execute(
        CREATE,
        variable_values={
            "input": {
                "projectPath": "acme/app",
                "workItemTypeId": issue_type(client),
                "title": "Orphan",
                "linkedItemsWidget": {"workItemsIds": [gid("WorkItem", 999_999)]},
            }
        },
    )["workItemCreate"]
    assert made["errors"] and "No matching work item" in made["errors"][0]
    assert [issue.title for issue in project.issues.list()] == ["Orphan"]
    assert project.issues.get(int(made["workItem"]["iid"])).links.list() == []


def test_project_milestone_lists_include_group_milestones_with_include_ancestors(sandbox):
    _, group, project, _ = make_project(sandbox)
    group.milestones.create({"title": "Wave 1"})
    project.milestones.create({"title": "Sprint 1"})
    own = {m.title for m in project.milestones.list(get_all=True)}
    ancestors = {m.title for m in project.milestones.list(get_all=True, include_ancestors=True)}
    parents = {
        m.title for m in project.milestones.list(get_all=True, include_parent_milestones=True)
    }
    assert own == {"Sprint 1"}
    assert ancestors == parents == {"Sprint 1", "Wave 1"}
