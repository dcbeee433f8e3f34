from __future__ import annotations

import threading
import time

from bot.engine.apply import apply, execute, waves
from bot.engine.diff import diff
from tests.engine.memory import MemoryPort


def test_waves_put_every_operation_after_what_it_references(blueprint):
    plan = diff(blueprint)
    batches = waves(plan.operations)
    seen: set[str] = set()
    for batch in batches:
        for op in batch:
            assert all(dep in seen for dep in op.depends), op.key
        seen |= {op.key for op in batch}
    assert seen == {op.key for op in plan.operations}
    assert sorted(op.key for op in batches[-1]) == ["epic:migration", "issue:discovery/kickoff"]


def test_unchanged_operations_are_not_performed(blueprint):
    port = MemoryPort()
    apply(diff(blueprint), port)
    port.performed.clear()
    result = apply(diff(blueprint, port.read_live(blueprint)), port)
    assert result.ok and result.done == [] and port.performed == []


def test_an_apply_that_fails_midway_is_completed_by_the_next_without_duplicates(blueprint):
    port = MemoryPort(fail_after=4)
    first = apply(diff(blueprint), port, concurrency=1)
    assert not first.ok and first.failed and first.failed[0].message == "GitLab went away"
    assert len(first.done) == 4
    port.fail_after = None
    second = apply(diff(blueprint, port.read_live(blueprint)), port)
    assert second.ok
    keys = [op.key for op in port.performed]
    assert sorted(keys) == sorted({op.key for op in diff(blueprint).operations})
    assert not diff(blueprint, port.read_live(blueprint)).pending


def test_no_more_operations_run_at_once_than_the_concurrency_allows(blueprint):
    class Slow(MemoryPort):
        def __init__(self) -> None:
            super().__init__()
            self.running = 0
            self.peak = 0
            self.gate = threading.Lock()

        def perform(self, op):
            with self.gate:
                self.running += 1
                self.peak = max(self.peak, self.running)
            time.sleep(0.02)
            with self.gate:
                self.running -= 1
            return super().perform(op)

    port = Slow()
    assert apply(diff(blueprint), port, concurrency=2).ok
    assert port.peak == 2


def test_progress_hears_of_every_operation(blueprint):
    heard: list[tuple[str, str]] = []
    apply(
        diff(blueprint), MemoryPort(), progress=lambda op, outcome: heard.append((op.key, outcome))
    )
    assert len(heard) == len(diff(blueprint).operations)
    assert {outcome for _, outcome in heard} == {"done"}


def test_execute_performs_one_operation_and_passes_unchanged_ones_by(blueprint):
    port = MemoryPort()
    label = diff(blueprint).operations[0]
    ref = execute(label, port)
    assert port.performed == [label]
    unchanged = diff(blueprint, port.read_live(blueprint)).operations[0]
    assert execute(unchanged, port) == ref and port.performed == [label]
