"""The issue's "Done when" list, driven only through python-gitlab (REST and GraphQL).

Nothing here knows it talks to a sandbox except the URL and the token the fixture hands over.
"""

from __future__ import annotations

import gitlab
import pytest
from gql.transport.exceptions import TransportQueryError

EPIC_TYPE = """
query($path: ID!) { namespace(fullPath: $path) { workItemTypes(name: EPIC) { nodes { id } } } }
"""
CREATE = """
mutation($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) { errors workItem { id iid title } }
}
"""
CHILDREN = """
query($path: ID!, $iid: String!) {
  namespace(fullPath: $path) {
    workItem(iid: $iid) {
      title
      widgets { ... on WorkItemWidgetHierarchy { children { nodes { id title } } } }
    }
  }
}
"""


@pytest.fixture
def gl(sandbox) -> gitlab.Gitlab:
    client = gitlab.Gitlab(sandbox.url, private_token=sandbox.token)
    client.auth()
    return client


@pytest.fixture
def project(gl):
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    return gl.projects.create(
        {"name": "Tool adoption", "path": "tool-adoption", "namespace_id": group.id}
    )


def test_a_script_builds_group_project_labels_milestones_issues_notes_links_and_boards(gl):
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    sub = gl.groups.create({"name": "Delivery", "path": "delivery", "parent_id": group.id})
    project = gl.projects.create({"name": "Rollout", "namespace_id": sub.id})
    assert gl.projects.get("acme/delivery/rollout").id == project.id
    assert gl.groups.get("acme/delivery").full_path == "acme/delivery"

    group.labels.create({"name": "phase::discovery", "color": "#428BCA"})
    bug = project.labels.create({"name": "bug", "color": "#FF0000", "description": "Broken"})
    sprint = project.milestones.create(
        {"title": "Sprint 1", "start_date": "2026-01-05", "due_date": "2026-01-16"}
    )
    issue = project.issues.create(
        {"title": "Kickoff", "labels": "bug,phase::discovery", "milestone_id": sprint.id}
    )
    other = project.issues.create({"title": "Charter", "labels": ["fresh"]})
    note = issue.notes.create({"body": "Agenda attached"})
    issue.awardemojis.create({"name": "thumbsup"})
    note.awardemojis.create({"name": "tada"})
    source, target = issue.links.create(
        {"target_project_id": project.id, "target_issue_iid": other.iid}
    )
    board = project.boards.create({"name": "Delivery"})
    board.lists.create({"label_id": bug.id})

    fetched = project.issues.get(issue.iid)
    assert set(fetched.labels) == {"bug", "phase::discovery"}
    assert fetched.milestone["title"] == "Sprint 1"
    assert fetched.web_url.endswith("/acme/delivery/rollout/-/issues/1")
    assert fetched.user_notes_count == 1 and fetched.upvotes == 1
    assert [n.body for n in fetched.notes.list()] == ["Agenda attached"]
    assert (source.iid, target.iid) == (issue.iid, other.iid)
    assert [link.iid for link in issue.links.list()] == [other.iid]
    assert [lst.label["name"] for lst in project.boards.get(board.id).lists.list()] == ["bug"]
    assert "fresh" in {label.name for label in project.labels.list(get_all=True)}
    assert [i.iid for i in sprint.issues()] == [issue.iid]

    issue.state_event = "close"
    issue.save()
    assert project.issues.get(issue.iid).state == "closed"
    assert [i.iid for i in project.issues.list(state="opened")] == [other.iid]
    sprint.state_event = "close"
    sprint.save()
    assert project.milestones.list(state="closed")[0].title == "Sprint 1"


def test_paging_through_250_labels_returns_every_label_once(gl, project):
    for number in range(250):
        project.labels.create({"name": f"label-{number:03d}", "color": "#112233"})
    first = project.labels.list(per_page=100, page=1)
    every = project.labels.list(get_all=True, per_page=100)
    lazy = project.labels.list(iterator=True, per_page=40)
    assert len(first) == 100
    assert sorted(label.name for label in every) == [f"label-{n:03d}" for n in range(250)]
    assert len(list(lazy)) == 250 and lazy.total == 250 and lazy.total_pages == 7


def test_a_duplicate_label_is_a_409_create_error_even_when_the_group_holds_it(gl, project):
    project.labels.create({"name": "bug", "color": "#FF0000"})
    gl.groups.get("acme").labels.create({"name": "team", "color": "#00FF00"})
    with pytest.raises(gitlab.GitlabCreateError) as duplicate:
        project.labels.create({"name": "bug", "color": "#FF0000"})
    with pytest.raises(gitlab.GitlabCreateError) as inherited:
        project.labels.create({"name": "team", "color": "#00FF00"})
    assert duplicate.value.response_code == 409
    assert duplicate.value.error_message == "Label already exists"
    assert inherited.value.response_code == 409


def test_a_reused_milestone_title_is_a_400_create_error(gl, project):
    gl.groups.get("acme").milestones.create({"title": "Phase 1"})
    project.milestones.create({"title": "Sprint 1"})
    for title in ("Sprint 1", "Phase 1"):
        with pytest.raises(gitlab.GitlabCreateError) as error:
            project.milestones.create({"title": title})
        assert error.value.response_code == 400
        assert "already being used for another group or project milestone." in str(
            error.value.error_message
        )


def test_missing_things_and_bad_tokens_raise_what_gitlab_raises(sandbox, gl, project):
    with pytest.raises(gitlab.GitlabGetError) as missing:
        gl.projects.get("acme/nothing-here")
    assert missing.value.response_code == 404
    assert missing.value.error_message == "404 Project Not Found"
    with pytest.raises(gitlab.GitlabGetError):
        project.issues.get(999)
    with pytest.raises(gitlab.GitlabAuthenticationError) as unauthorized:
        gitlab.Gitlab(sandbox.url, private_token="wrong").auth()
    assert unauthorized.value.response_code == 401
    with pytest.raises(gitlab.GitlabCreateError) as missing_title:
        project.issues.create({"title": ""})
    assert missing_title.value.response_code == 400


def test_epics_with_children_through_rest_and_graphql_are_one_store(sandbox, gl, project):
    sandbox.control("POST", "seed", {"tier": "ultimate"})
    group = gl.groups.get("acme")
    phase = group.epics.create({"title": "Discovery", "labels": "phase::discovery"})
    issue = project.issues.create({"title": "Interview stakeholders"})
    phase.issues.create({"issue_id": issue.id})

    client = gitlab.GraphQL(sandbox.url, token=sandbox.token)
    epic_type = client.execute(EPIC_TYPE, variable_values={"path": "acme"})
    type_id = epic_type["namespace"]["workItemTypes"]["nodes"][0]["id"]
    phase_gid = f"gid://gitlab/WorkItem/{phase.work_item_id}"
    created = client.execute(
        CREATE,
        variable_values={
            "input": {
                "namespacePath": "acme",
                "title": "Workstream: data",
                "workItemTypeId": type_id,
                "descriptionWidget": {"description": "Data migration"},
                "hierarchyWidget": {"parentId": phase_gid},
            }
        },
    )["workItemCreate"]
    assert created["errors"] == []

    tree = client.execute(CHILDREN, variable_values={"path": "acme", "iid": str(phase.iid)})
    children = tree["namespace"]["workItem"]["widgets"]
    titles = {n["title"] for w in children if "children" in w for n in w["children"]["nodes"]}
    assert titles == {"Interview stakeholders", "Workstream: data"}
    assert f"gid://gitlab/WorkItem/{issue.id}" in {
        n["id"] for w in children if "children" in w for n in w["children"]["nodes"]
    }
    child = group.epics.get(int(created["workItem"]["iid"]))
    assert child.parent_iid == phase.iid
    assert project.issues.get(issue.iid).epic_iid == phase.iid


def test_graphql_errors_reach_python_gitlab_as_gitlab_reports_them(sandbox, gl, project):
    client = gitlab.GraphQL(sandbox.url, token=sandbox.token)
    with pytest.raises(TransportQueryError) as error:
        client.execute(
            'mutation { workItemCreate(input: {namespacePath: "acme/tool-adoption", '
            'projectPath: "acme/tool-adoption", title: "x", '
            'workItemTypeId: "gid://gitlab/WorkItems::Type/1"}) { errors } }'
        )
    assert "not both" in str(error.value)
    task = project.issues.create({"title": "Task", "issue_type": "task"})
    other = project.issues.create({"title": "Issue"})
    refused = client.execute(
        "mutation($id: WorkItemID!, $parent: WorkItemID!) { workItemUpdate(input: "
        "{id: $id, hierarchyWidget: {parentId: $parent}}) { errors } }",
        variable_values={
            "id": f"gid://gitlab/WorkItem/{other.id}",
            "parent": f"gid://gitlab/WorkItem/{task.id}",
        },
    )
    assert refused["workItemUpdate"]["errors"] == [
        "#2 cannot be added: it's not allowed to add this type of parent item"
    ]
