from __future__ import annotations

import threading
import time

import pytest

from bot.engine.apply import apply, critical_path, execute, requests, waits
from bot.engine.diff import diff
from bot.engine.plan import Operation
from bot.playbook.blueprint import Blueprint, Board, Label
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


def test_of_the_ready_operations_the_one_with_the_longest_chain_behind_it_starts_first():
    blueprint = Blueprint(
        playbook="order",
        variables={},
        labels=(
            Label("label:alone", "Alone", "#111111"),
            Label("label:listed", "Listed", "#222222"),
            Label("label:done", "Done", "#333333"),
        ),
        boards=(Board("board:flow", "Flow", lists=("Listed", "Done")),),
    )
    port = MemoryPort()
    assert apply(diff(blueprint), port, concurrency=1).ok
    # Plan order would be Alone, Listed, Done, Flow: the board's labels come first instead,
    # then the board (three requests: its create and two lists), the label nothing waits for
    # last.
    assert [op.key for op in port.performed] == [
        "label:listed",
        "label:done",
        "board:flow",
        "label:alone",
    ]


def test_an_operation_waits_only_for_the_pending_operations_of_what_it_references(blueprint):
    port = MemoryPort()
    first = diff(blueprint)
    assert apply(first, port).ok
    port.delete("issue:discovery/kickoff")
    again = [op for op in diff(blueprint, port.read_live(blueprint)).operations if op.pending]
    assert [op.key for op in again] == ["issue:discovery/kickoff"]
    assert waits(again) == {"issue:discovery/kickoff": set()}


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (Operation("create", "label", "label:a", "A"), 1),
        (Operation("create", "issue", "issue:a", "A"), 1),
        (Operation("create", "board", "board:a", "A", {"lists": ("x", "y"), "labels": ()}), 3),
        (Operation("create", "board", "board:a", "A", {"lists": ("x",), "labels": ("x",)}), 3),
        (
            Operation(
                "update",
                "board",
                "board:a",
                "A",
                {"lists": ("x", "y", "z")},
                changes={"lists": (("x",), ("x", "y", "z"))},
            ),
            2,
        ),
        (
            Operation(
                "update",
                "board",
                "board:a",
                "A",
                {"lists": ("x",), "labels": ("x",)},
                changes={"labels": ((), ("x",))},
            ),
            1,
        ),
    ],
)
def test_the_requests_of_an_operation_count_a_boards_lists_and_scope(op, expected):
    assert requests(op) == expected


def test_the_critical_path_is_the_longest_chain_of_requests_each_waiting_for_the_one_before(
    blueprint,
):
    pending = [op for op in diff(blueprint).operations if op.pending]
    # Phase::Discovery, then the Discovery epic, then SCM migration (its workstream) or the
    # kickoff issue: three requests; PS RAID Log then its board (a create and one list): three.
    by_key = {op.key: op for op in pending}
    assert requests(by_key["board:raid"]) == 2
    assert critical_path(pending) == 3
    assert critical_path([]) == 0
