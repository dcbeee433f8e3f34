"""Scenarios of two engagement projects in one group: each keeps its own epics.

Group epics are seen by every project of the group; their markers name the engagement's
project, so scaffolding the second project neither adopts, retitles nor re-parents the first's.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import cache

import pytest

from bot.engine.marker import parse
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint
from tests.scenarios.support import (
    Engagement,
    assert_built_once,
    epic_parent,
    group_epics,
    tool_adoption,
)


@cache
def rollout() -> Blueprint:
    """The same playbook for another customer: some epic titles differ, some are the same."""
    return render(
        load_playbook("tool-adoption"), {"customer": "Beta Ltd", "start_date": "2026-02-02"}
    )


@pytest.fixture
def second(engagement: Engagement) -> Engagement:
    gl = engagement.sandbox.gitlab()
    group = gl.groups.get("acme")
    gl.projects.create({"name": "rollout", "path": "rollout", "namespace_id": group.id})
    return Engagement(engagement.sandbox, engagement.tier, "acme/rollout")


def epics_state(engagement: Engagement) -> dict[int, tuple]:
    """Every group epic as it stands: title, description, labels, parent."""
    return {
        epic.iid: (epic.title, epic.description, tuple(sorted(epic.labels)), epic.parent_iid)
        for epic in group_epics(engagement)
    }


def epics_of(engagement: Engagement) -> dict[str, object]:
    """The group epics whose marker names the engagement's project, by key."""
    pid = engagement.project.id
    found: dict[str, object] = {}
    for epic in group_epics(engagement):
        marker = parse(epic.description)[1]
        if marker and marker.project == pid:
            assert marker.key not in found, marker.key
            found[marker.key] = epic
    return found


def assert_owns_its_epics(engagement: Engagement, blueprint: Blueprint) -> None:
    """The engagement's own complete set of epics, its epics and issues under them only."""
    mine = epics_of(engagement)
    assert set(mine) == {epic.key for epic in blueprint.epics}
    iids = {epic.iid for epic in mine.values()}
    for epic in blueprint.epics:
        parent = mine[epic.parent].iid if epic.parent else None
        assert epic_parent(engagement, mine[epic.key], list(mine.values())) == parent, epic.key
    by_title = {issue.title: issue for issue in engagement.project.issues.list(get_all=True)}
    for issue in blueprint.issues:
        live = (by_title[issue.title].epic or {}).get("iid")
        assert live == (mine[issue.epic].iid if issue.epic else None), issue.key
        assert live is None or live in iids


def assert_nothing_left(*engagements: tuple[Engagement, Blueprint]) -> None:
    for engagement, blueprint in engagements:
        plan = engagement.plan(blueprint)
        assert not plan.pending, plan.to_text()


def test_two_projects_scaffolded_one_after_the_other_each_get_their_own_epics(engagement, second):
    plan, first = engagement.apply(tool_adoption())
    assert first.ok, first.failed[:3]
    before = epics_state(engagement) if engagement.tier != "free" else {}
    plan, result = second.apply(rollout())
    assert result.ok, result.failed[:3]
    assert plan.count("adopt") == 0 and plan.count("update") == 0, plan.to_text()
    assert_built_once(engagement)
    assert_nothing_left((engagement, tool_adoption()), (second, rollout()))
    if engagement.tier == "free":
        titles = Counter(issue.title for issue in second.project.issues.list(get_all=True))
        assert all(titles[epic.title] == 1 for epic in rollout().epics)
        return
    after = epics_state(engagement)
    assert {iid: after[iid] for iid in before} == before
    assert len(after) == len(tool_adoption().epics) + len(rollout().epics)
    assert_owns_its_epics(engagement, tool_adoption())
    assert_owns_its_epics(second, rollout())


def test_two_projects_scaffolded_at_the_same_time_each_get_their_own_epics(sandbox):
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    for path in ("delivery", "rollout"):
        gl.projects.create({"name": path, "path": path, "namespace_id": group.id})
    pairs = [
        (Engagement(sandbox, "premium", "acme/delivery"), tool_adoption()),
        (Engagement(sandbox, "premium", "acme/rollout"), rollout()),
    ]
    results: dict[str, object] = {}

    def scaffold(engagement: Engagement, blueprint: Blueprint) -> None:
        results[engagement.path] = engagement.apply(blueprint)[1]

    threads = [threading.Thread(target=scaffold, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and all(result.ok for result in results.values()), results
    for engagement, blueprint in pairs:
        assert_owns_its_epics(engagement, blueprint)
    assert len(group_epics(pairs[0][0])) == len(tool_adoption().epics) + len(rollout().epics)
    assert_nothing_left(*pairs)


def test_an_unmarked_epic_of_the_same_title_is_adopted_by_the_first_engagement_only(sandbox):
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    for path in ("delivery", "rollout"):
        gl.projects.create({"name": path, "path": path, "namespace_id": group.id})
    first = Engagement(sandbox, "premium", "acme/delivery")
    second = Engagement(sandbox, "premium", "acme/rollout")
    existing = group.epics.create({"title": "CI/CD transition", "description": "Our notes."})
    plan, result = first.apply(tool_adoption())
    assert result.ok, result.failed[:3]
    adopted = next(op for op in plan.operations if op.key == "epic:cicd")
    assert (adopted.op, adopted.ref) == ("adopt", str(existing.iid))
    plan, result = second.apply(rollout())
    assert result.ok, result.failed[:3]
    assert next(op for op in plan.operations if op.key == "epic:cicd").op == "create"
    text, marker = parse(group.epics.get(existing.iid).description)
    assert (text, marker.key, marker.project) == ("Our notes.", "epic:cicd", first.project.id)
    assert epics_of(first)["epic:cicd"].iid == existing.iid
    assert epics_of(second)["epic:cicd"].iid != existing.iid
    assert_owns_its_epics(first, tool_adoption())
    assert_owns_its_epics(second, rollout())
    assert_nothing_left((first, tool_adoption()), (second, rollout()))


def test_with_legacy_epics_two_projects_in_one_group_each_get_their_own_epics(sandbox):
    sandbox.set_faults({"route": "/api/graphql", "status": 404, "error_rate": 1})
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    for path in ("delivery", "rollout"):
        gl.projects.create({"name": path, "path": path, "namespace_id": group.id})
    pairs = [
        (Engagement(sandbox, "premium", "acme/delivery"), tool_adoption()),
        (Engagement(sandbox, "premium", "acme/rollout"), rollout()),
    ]
    for engagement, blueprint in pairs:
        plan, result = engagement.apply(blueprint)
        assert plan.epics == "legacy" and result.ok, result.failed[:3]
        assert plan.count("adopt") == 0, plan.to_text()
    for engagement, blueprint in pairs:
        assert_owns_its_epics(engagement, blueprint)
    assert_nothing_left(*pairs)


def test_a_group_milestone_of_a_time_box_title_serves_both_projects_and_is_never_written(
    engagement, second
):
    group = engagement.sandbox.gitlab().groups.get("acme")
    shared = group.milestones.create({"title": "Discovery", "description": "The group's."})
    for project, blueprint in ((engagement, tool_adoption()), (second, rollout())):
        plan, result = project.apply(blueprint)
        assert result.ok, result.failed[:3]
        op = next(op for op in plan.operations if op.key == "milestone:discovery")
        assert (op.op, op.ref) == ("unchanged", str(shared.id))
        kickoff = next(
            issue
            for issue in project.project.issues.list(get_all=True)
            if issue.title == next(i.title for i in blueprint.issues if i.milestone == op.key)
        )
        assert kickoff.milestone["id"] == shared.id
    live = group.milestones.get(shared.id)
    assert (live.title, live.description, live.start_date) == ("Discovery", "The group's.", None)
    assert_nothing_left((engagement, tool_adoption()), (second, rollout()))
