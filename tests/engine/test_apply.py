from __future__ import annotations

import threading
import time

from bot.engine.apply import apply, execute
from bot.engine.diff import diff
from tests.engine.memory import MemoryPort


def test_every_operation_runs_after_the_operations_it_references(blueprint):
    class Recording(MemoryPort):
        def __init__(self) -> None:
            super().__init__()
            self.finished: list[str] = []

        def perform(self, op):
            assert all(dep in self.finished for dep in op.depends), op.key
            time.sleep(0.001)
            ref = super().perform(op)
            with self._lock:
                self.finished.append(op.key)
            return ref

    port = Recording()
    plan = diff(blueprint)
    assert apply(plan, port, concurrency=4).ok
    assert sorted(port.finished) == sorted(op.key for op in plan.operations)


def test_after_a_failure_nothing_new_starts_and_the_rest_is_reported_not_started(blueprint):
    port = MemoryPort(fail_after=2)
    result = apply(diff(blueprint), port, concurrency=1)
    assert len(result.done) == 2 and len(result.failed) == 1
    assert len(result.skipped) == len(diff(blueprint).operations) - 3
    assert "1 failed" in result.summary()


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
