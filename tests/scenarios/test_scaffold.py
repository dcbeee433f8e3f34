"""Scenarios of building an engagement in a project, on Premium and on Free."""

from __future__ import annotations

from bot.engine.apply import apply
from bot.engine.diff import diff
from tests.scenarios.support import assert_built_once, tool_adoption


def test_given_an_empty_project_when_the_playbook_is_applied_then_every_object_exists_once(
    engagement,
):
    plan, result = engagement.apply(tool_adoption())
    assert plan.epics == ("issues" if engagement.tier == "free" else "work_items")
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
    assert port.conn.requests <= 12


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


def test_a_scaffold_costs_at_most_a_tenth_more_requests_than_objects_and_reads(engagement):
    blueprint = tool_adoption()
    port = engagement.port()
    plan, result = engagement.apply(blueprint, port)
    assert result.ok, result.failed[:3]
    created = sum(op.pending for op in plan.operations)
    again = engagement.port()
    assert not diff(blueprint, again.read_live(blueprint)).pending
    assert port.conn.requests <= 1.1 * (created + again.conn.requests)
