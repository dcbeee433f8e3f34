"""Epics on Free against the sandbox: parent issues, links read in one GraphQL query, children
created already linked, and the REST way where GraphQL cannot answer."""

from __future__ import annotations

import httpx
import pytest

from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import GitLabProject, connect
from bot.playbook.blueprint import Blueprint, Epic, Issue, Label

PHASE = "Phase::Discovery"
BLUEPRINT = Blueprint(
    "small",
    labels=(Label("label:phase-discovery", PHASE, "#336699"),),
    epics=(
        Epic("epic:discovery", "Discovery", labels=(PHASE,)),
        Epic("epic:access", "Access", labels=(PHASE,), parent="epic:discovery"),
    ),
    issues=(
        Issue("issue:kickoff", "Kickoff", labels=(PHASE,), epic="epic:discovery"),
        Issue("issue:accounts", "Accounts", epic="epic:access"),
        Issue("issue:notes", "Notes"),
    ),
)
LINKS_ROUTE = "/issues/{issue_iid}/links"


@pytest.fixture
def free(sandbox_free):
    gl = sandbox_free.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    return sandbox_free, project


def port_of(sandbox) -> GitLabProject:
    return connect(sandbox.url, sandbox.token, "acme/delivery")


def build(sandbox, port: GitLabProject | None = None) -> None:
    port = port or port_of(sandbox)
    result = apply(diff(BLUEPRINT, port.read_live(BLUEPRINT)), port)
    assert result.ok, result.failed


def calls(stats: dict, method: str, ending: str) -> int:
    return sum(
        n
        for route, n in stats["routes"].items()
        if route.startswith(method) and route.endswith(ending)
    )


def related(project, title: str) -> set[str]:
    issue = next(i for i in project.issues.list(get_all=True) if i.title == title)
    return {link.title for link in issue.links.list(get_all=True)}


def test_children_are_created_linked_to_their_parent_issue_without_a_link_request(free):
    sandbox, project = free
    sandbox.control("DELETE", "stats")
    build(sandbox)
    stats = sandbox.stats()
    assert calls(stats, "POST", LINKS_ROUTE) == 0
    assert stats["graphql"]["mutation"] == 3  # Access, Kickoff, Accounts
    assert related(project, "Discovery") == {"Kickoff", "Access"}
    assert related(project, "Access") == {"Discovery", "Accounts"}
    assert related(project, "Notes") == set()


def test_every_parent_issues_links_are_read_in_one_graphql_request(free):
    sandbox, _ = free
    build(sandbox)
    sandbox.control("DELETE", "stats")
    port = port_of(sandbox)
    live = port.read_live(BLUEPRINT)
    stats = sandbox.stats()
    assert stats["graphql"] == {"query": 1, "mutation": 0}
    assert calls(stats, "GET", LINKS_ROUTE) == 0
    parents = {
        obj.title: obj.fields["parent"] for obj in live.objects if obj.kind in ("epic", "issue")
    }
    iids = {obj.title: obj.ref for obj in live.objects if obj.kind in ("epic", "issue")}
    assert parents == {
        "Discovery": None,
        "Access": iids["Discovery"],
        "Kickoff": iids["Discovery"],
        "Accounts": iids["Access"],
        "Notes": None,
    }
    assert not diff(BLUEPRINT, live).pending


def test_a_parent_with_more_links_than_one_page_is_read_through_rest(free):
    sandbox, project = free
    build(sandbox)
    parent = next(i for i in project.issues.list(get_all=True) if i.title == "Access")
    for number in range(100):
        child = project.issues.create({"title": f"extra {number}"})
        child.links.create({"target_project_id": project.id, "target_issue_iid": parent.iid})
    sandbox.control("DELETE", "stats")
    port = port_of(sandbox)
    port.read_live(BLUEPRINT)
    assert calls(sandbox.stats(), "GET", LINKS_ROUTE) == 1
    children = [iid for iid, found in port.epics.parents.items() if found == str(parent.iid)]
    assert len(children) == 101, "Accounts and the 100 extra issues"


def test_a_lost_answer_to_a_linked_create_finds_the_issue_instead_of_creating_it_again(free):
    sandbox, project = free
    port = port_of(sandbox)
    lost: list[str] = []

    def lose_first_create(response: httpx.Response) -> None:
        if b"workItemCreate" in response.request.content and not lost:
            lost.append(response.request.content.decode())
            raise httpx.ReadError("connection reset", request=response.request)

    port.conn.graphql_once._http_client.event_hooks["response"].append(lose_first_create)
    build(sandbox, port)
    assert len(lost) == 1
    titles = [issue.title for issue in project.issues.list(get_all=True)]
    assert sorted(titles) == ["Access", "Accounts", "Discovery", "Kickoff", "Notes"]
    assert related(project, "Discovery") == {"Kickoff", "Access"}
    assert not diff(BLUEPRINT, port_of(sandbox).read_live(BLUEPRINT)).pending


def test_where_graphql_work_items_do_not_answer_rest_creates_and_links(free):
    sandbox, project = free
    sandbox.set_faults({"route": "/api/graphql", "status": 404, "error_rate": 1})
    sandbox.control("DELETE", "stats")
    build(sandbox)
    stats = sandbox.stats()
    assert stats["graphql"]["mutation"] == 0
    assert calls(stats, "POST", LINKS_ROUTE) == 3
    assert related(project, "Access") == {"Discovery", "Accounts"}
    sandbox.control("DELETE", "stats")
    assert not diff(BLUEPRINT, port_of(sandbox).read_live(BLUEPRINT)).pending
    assert calls(sandbox.stats(), "GET", LINKS_ROUTE) == 2
