"""Scenarios of building an engagement in a project, on Premium and on Free."""

from __future__ import annotations

from collections import Counter

from bot.engine.apply import apply
from bot.engine.diff import diff
from tests.scenarios.conftest import Engagement, tool_adoption


def titles(items) -> Counter[str]:
    return Counter(item.title for item in items)


def group_epics(engagement: Engagement) -> list:
    return engagement.sandbox.gitlab().groups.get("acme").epics.list(get_all=True)


def assert_built_once(engagement: Engagement) -> None:
    """Every blueprint object exists exactly once, and each issue sits under its epic."""
    blueprint = tool_adoption()
    project = engagement.project
    issues = project.issues.list(get_all=True, state="all")
    by_title = {issue.title: issue for issue in issues}
    expected = [issue.title for issue in blueprint.issues]
    if engagement.tier == "free":
        expected += [epic.title for epic in blueprint.epics]
    assert titles(issues) == Counter(expected)
    assert titles(project.milestones.list(get_all=True)) == Counter(
        tb.title for tb in blueprint.timeboxes
    )
    labels = project.labels.list(get_all=True, include_ancestor_groups=True)
    assert Counter(label.name for label in labels) >= Counter(lb.name for lb in blueprint.labels)
    assert max(Counter(label.name for label in labels).values()) == 1
    boards = {board.name: board for board in project.boards.list(get_all=True)}
    for board in blueprint.boards:
        lists = sorted(boards[board.name].attributes["lists"], key=lambda item: item["position"])
        assert [item["label"]["name"] for item in lists] == list(board.lists)
    epic_titles = {epic.key: epic.title for epic in blueprint.epics}
    if engagement.tier == "premium":
        live_epics = group_epics(engagement)
        assert titles(live_epics) == Counter(epic_titles.values())
        epics = {epic.title: epic for epic in live_epics}
        for issue in blueprint.issues:
            live = by_title[issue.title]
            assert (live.epic or {}).get("iid") == (
                epics[epic_titles[issue.epic]].iid if issue.epic else None
            ), issue.key
        for epic in blueprint.epics:
            parent = epics[epic_titles[epic.parent]].iid if epic.parent else None
            assert epics[epic.title].parent_iid == parent, epic.key
    else:
        for epic in blueprint.epics:
            parent = by_title[epic.title]
            linked = {link.title for link in parent.links.list(get_all=True)}
            children = {i.title for i in blueprint.issues if i.epic == epic.key}
            assert children <= linked, epic.key


def test_given_an_empty_project_when_the_playbook_is_applied_then_every_object_exists_once(
    engagement,
):
    plan, result = engagement.apply(tool_adoption())
    assert plan.epics == ("work_items" if engagement.tier == "premium" else "issues")
    assert result.ok, result.failed[:3]
    assert_built_once(engagement)


def test_given_a_scaffolded_project_when_applied_again_then_nothing_is_written(engagement):
    blueprint = tool_adoption()
    engagement.apply(blueprint)
    before = engagement.sandbox.stats()
    port = engagement.port()
    plan = diff(blueprint, port.read_live(blueprint))
    assert not plan.pending, plan.to_text()
    assert apply(plan, port).done == []
    after = engagement.sandbox.stats()
    writes = {
        route: after["routes"][route] - before["routes"].get(route, 0)
        for route in after["routes"]
        if not route.startswith(("GET", "HEAD"))
        and "/-/sandbox" not in route
        and route != "POST /api/graphql"  # the epics query; mutations would change objects
    }
    assert not any(writes.values()), writes
    assert after["objects"] == before["objects"]
    fixed = 12 if engagement.tier == "premium" else 12 + len(blueprint.epics)
    assert port.conn.requests <= fixed


def test_given_an_apply_interrupted_after_n_operations_when_applied_again_then_it_completes(
    engagement,
):
    class Crashing:
        def __init__(self, port, after: int) -> None:
            self.port, self.left = port, after

        def read_live(self, blueprint):
            return self.port.read_live(blueprint)

        def perform(self, op):
            if self.left <= 0:
                raise RuntimeError("worker killed")
            self.left -= 1
            return self.port.perform(op)

    blueprint = tool_adoption()
    port = engagement.port()
    first = apply(diff(blueprint, port.read_live(blueprint)), Crashing(port, 60), concurrency=4)
    assert not first.ok and len(first.done) == 60
    plan, second = engagement.apply(blueprint)
    assert plan.count("unchanged") == 60
    assert second.ok, second.failed[:3]
    assert_built_once(engagement)
    assert not engagement.plan(blueprint).pending
