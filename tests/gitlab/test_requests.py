"""What a plan costs in requests, counted by the stand-in (its stats control), on each tier:
only the kinds the plan declares are read, the instance's capabilities only when a planned
object lands by them (and once per instance), and every other request is a write GitLab needs."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bot.engine.apply import apply
from bot.engine.diff import declared, diff
from bot.gitlab import connect
from bot.gitlab.capabilities import Capabilities, CapabilityCache
from bot.gitlab.project import reads, tier_matters
from bot.playbook.blueprint import Blueprint, Board, Issue
from tests.scenarios.support import tool_adoption

CAPABILITY_READS = ("GET /api/v4/metadata", "GET /api/v4/license")


def labels_and_milestones() -> Blueprint:
    return replace(tool_adoption(), epics=(), issues=(), boards=(), templates=())


def counted(sandbox) -> dict[str, int]:
    """Requests since the stats were last cleared, by method and route (controls left out)."""
    routes = sandbox.stats()["routes"]
    return {route: n for route, n in routes.items() if "/-/sandbox" not in route}


def writes_needed(blueprint: Blueprint, tier: str) -> int:
    """One write per object GitLab stores: each blueprint object, each board list (made one at
    a time, `GL:doc/api/boards.md`), each board's scope where boards have one (an update: a
    board is created with a name only), and on Premium the engagement's scoped label."""
    return (
        len(list(blueprint.objects()))
        + sum(len(board.lists) for board in blueprint.boards)
        + (sum(1 for board in blueprint.boards if board.labels) if tier != "free" else 0)
        + (1 if tier == "premium" and blueprint.epics else 0)
    )


def applied(sandbox, blueprint: Blueprint, path: str = "acme/delivery"):
    sandbox.control("DELETE", "stats")
    port = connect(sandbox.url, sandbox.token, path)
    plan = diff(blueprint, port.read_live(blueprint))
    result = apply(plan, port)
    assert result.ok, result.failed[:3]
    return plan, counted(sandbox)


@pytest.fixture(params=["free", "premium", "ultimate"])
def tier(request, sandbox_server) -> str:
    sandbox_server.reset(request.param)
    gl = sandbox_server.gitlab()
    for name in ("acme", "globex"):
        group = gl.groups.create({"name": name, "path": name})
        gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    return request.param


def test_a_labels_and_milestones_plan_reads_the_project_and_those_two_lists_only(
    sandbox_server, tier
):
    blueprint = labels_and_milestones()
    plan, first = applied(sandbox_server, blueprint)
    writes = len(blueprint.labels) + len(blueprint.timeboxes)
    assert sum(op.pending for op in plan.operations) == writes
    reads = {route: n for route, n in first.items() if route.startswith("GET")}
    assert reads == {
        "GET /api/v4/projects/{id}": 1,
        "GET /api/v4/projects/{id}/labels": 1,
        "GET /api/v4/projects/{id}/milestones": 1,
    }
    assert sum(first.values()) == writes + 3
    # No epic is planned, so the labels need not be group labels: the project's own.
    assert first["POST /api/v4/projects/{id}/labels"] == len(blueprint.labels)

    plan, again = applied(sandbox_server, blueprint)
    assert not plan.pending
    assert again == reads


def test_a_whole_engagement_costs_its_writes_one_read_per_kind_and_the_tier_once(
    sandbox_server, tier
):
    blueprint = tool_adoption()
    # One read per kind and the project; an issue template is one file, read by its path (the
    # Repository Files API lists no contents, `GL:doc/api/repository_files.md`): one read each.
    kinds = len(declared(blueprint) - {"template"}) + 1 + len(blueprint.templates)
    tier_reads = 1 if tier == "free" else 2  # /metadata; and /license on Enterprise Edition
    plan, first = applied(sandbox_server, blueprint)
    assert sum(first.get(route, 0) for route in CAPABILITY_READS) == tier_reads
    assert sum(first.values()) <= writes_needed(blueprint, tier) + kinds + tier_reads

    # Another engagement of the same instance: the tier is known; reads and writes only.
    plan, other = applied(sandbox_server, blueprint, "globex/delivery")
    assert not any(route in other for route in CAPABILITY_READS)
    assert sum(other.values()) <= writes_needed(blueprint, tier) + kinds

    plan, noop = applied(sandbox_server, blueprint)
    assert not plan.pending
    assert all(route.startswith("GET") or route == "POST /api/graphql" for route in noop)
    issues = len(blueprint.issues) + (len(blueprint.epics) if tier == "free" else 0)
    pages = math.ceil(issues / 100)  # a list is read 100 a page (`GL:doc/api/rest/_index.md`)
    assert sum(noop.values()) <= kinds + pages - 1


def test_an_issue_weight_or_a_board_scope_asks_the_tier_and_free_drops_them(sandbox_server, tier):
    blueprint = replace(
        labels_and_milestones(),
        issues=(Issue("issue:sized", "Sized", "Work.", weight=3),),
        boards=(Board("board:raid", "RAID", lists=("PS RAID Log",), labels=("PS RAID Log",)),),
    )
    plan, first = applied(sandbox_server, blueprint)
    assert sum(first.get(route, 0) for route in CAPABILITY_READS) >= 1
    assert "POST /api/graphql" not in first  # no epics planned: their read is not made
    plan, _ = applied(sandbox_server, blueprint)
    assert not plan.pending, plan.to_text()  # on Free the weight and scope are not compared
    issue = next(op for op in plan.operations if op.kind == "issue")
    assert ("weight" in issue.fields) is (tier != "free")


@pytest.mark.parametrize(
    ("shape", "kinds", "tiered"),
    [
        ({}, {"label", "milestone", "epic", "issue", "board", "template"}, True),
        ({"epics": (), "issues": (), "boards": (), "templates": ()}, {"label", "milestone"}, False),
        ({"epics": (), "boards": (), "templates": ()}, {"label", "milestone", "issue"}, True),
        (
            {"labels": (), "timeboxes": (), "epics": (), "issues": (), "templates": ()},
            {"board", "label"},
            True,
        ),
        ({"epics": (), "issues": (), "boards": ()}, {"label", "milestone", "template"}, False),
    ],
)
def test_the_reads_follow_the_kinds_the_blueprint_declares(shape, kinds, tiered):
    blueprint = replace(tool_adoption(), **shape)
    assert reads(blueprint) == kinds
    assert tier_matters(blueprint) is tiered


def test_without_a_blueprint_everything_is_read():
    assert reads(None) == {"label", "milestone", "epic", "issue", "board", "template"}
    assert tier_matters(None)


def test_capabilities_from_the_license_hold_for_the_instance_and_a_plan_for_its_group():
    now = [0.0]
    cache = CapabilityCache(ttl=60, clock=lambda: now[0])
    licensed = Capabilities("18.2.0-ee", "premium", "license")
    cache.put(1, licensed)
    assert cache.get(2) is licensed  # another group of the same instance
    planned = CapabilityCache()
    found = Capabilities("18.2.0-ee", "ultimate", "plan")
    planned.put(1, found)
    assert planned.get(1) is found and planned.get(2) is None


def test_capabilities_are_read_again_once_they_are_older_than_the_time_kept():
    now = [0.0]
    cache = CapabilityCache(clock=lambda: now[0])
    reads_made: list[int] = []

    def detect() -> Capabilities:
        reads_made.append(1)
        return Capabilities("18.2.0-ee", "premium", "license")

    group = lambda: 1  # noqa: E731
    cache.read(group, detect)
    now[0] = 10_000.0
    cache.read(group, detect)
    assert len(reads_made) == 1  # kept for the run by default
    cache.keep_for(300)  # the service's setting: what was read long ago is read again
    cache.read(group, detect)
    assert len(reads_made) == 2
    now[0] += 299
    cache.read(group, detect)
    assert len(reads_made) == 2
    now[0] += 2
    cache.read(group, detect)
    assert len(reads_made) == 3


def test_the_instance_tells_its_tier_without_the_project_being_read(sandbox_server, tier):
    sandbox_server.control("DELETE", "stats")
    port = connect(sandbox_server.url, sandbox_server.token, "acme/delivery")
    assert port.capabilities.tier == tier
    # So the capability reads go out beside the project read, not after it.
    assert counted(sandbox_server) == (
        {"GET /api/v4/metadata": 1}
        if tier == "free"
        else {"GET /api/v4/metadata": 1, "GET /api/v4/license": 1}
    )


def test_a_plan_made_without_the_tier_says_so(sandbox):
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    port = connect(sandbox.url, sandbox.token, "acme/delivery")
    plan = diff(labels_and_milestones(), port.read_live(labels_and_milestones()))
    assert plan.to_json()["gitlab"] == {
        "summary": "the tier was not read: no planned object depends on it",
        "placement": "none",
    }
    assert plan.to_text().splitlines()[2].startswith(f"Plan for {plan.playbook} (no epics): ")


@pytest.mark.parametrize("named_by", ["path", "id"])
def test_with_the_tier_known_the_group_epics_are_read_once_beside_the_project(sandbox, named_by):
    gl = sandbox.gitlab()
    for name in ("acme", "globex"):
        group = gl.groups.create({"name": name, "path": name})
        gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    blueprint = tool_adoption()
    connect(sandbox.url, sandbox.token, "acme/delivery").read_live(blueprint)  # the tier
    project = gl.projects.get("globex/delivery")
    sandbox.control("DELETE", "stats")
    address = "globex/delivery" if named_by == "path" else str(project.id)
    live = connect(sandbox.url, sandbox.token, address).read_live(blueprint)
    assert live.epics == "work_items"
    stats = sandbox.stats()
    assert stats["graphql"] == {"query": 1, "mutation": 0}
    files = len(blueprint.templates) - 1  # a template is a file: one read each, not one a kind
    assert sum(counted(sandbox).values()) == len(declared(blueprint)) + 1 + files
