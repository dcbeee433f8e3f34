"""Gates: a phase moves on only when its exit-criterion issue is closed (or by --force)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import decisions
from bot.domain.effects import Decision, Refusal, RelabelEpic, UpsertNote
from bot.domain.gates import (
    GateIssue,
    advance_on_gate,
    blocking_gates,
    ended_by_timebox,
    forced_note,
    live_gates,
    refusal,
)
from bot.playbook.blueprint import Blueprint, Issue, Phase
from tests.domain.engagement_world import BLUEPRINT, world


def phase(slug: str, gate: str | None = None, pilot: str | None = None) -> Phase:
    return Phase(f"phase:{slug}", slug.title(), f"Phase::{slug}", gate=gate, pilot=pilot)


def blueprint(*phases: Phase) -> Blueprint:
    issues = tuple(Issue(p.gate, f"Gate of {p.name}", kind="governance") for p in phases if p.gate)
    return Blueprint("test", phases=phases, issues=issues)


ONE = blueprint(
    phase("discovery", "issue:discovery/readout"),
    phase("readiness", "issue:readiness/checklist"),
    phase("sprinting", "issue:sprinting/go"),
    phase("scaling"),
)
D, R, S, X = ONE.phases

TWO = blueprint(
    phase("discovery-a", "issue:a/readout", pilot="a"),
    phase("sprinting-a", "issue:a/go", pilot="a"),
    phase("discovery-b", "issue:b/readout", pilot="b"),
    phase("sprinting-b", "issue:b/go", pilot="b"),
    phase("scaling"),
)
DA, SA, DB, SB, XX = TWO.phases


def closed(*keys: str) -> dict[str, GateIssue]:
    return {k: GateIssue(k, k, True, iid=n) for n, k in enumerate(keys, start=1)}


@pytest.mark.parametrize(
    ("given_current", "when_target", "gates_closed", "then_held"),
    [
        (D, R, (), ["issue:discovery/readout"]),
        (D, R, ("issue:discovery/readout",), []),
        (D, S, ("issue:discovery/readout",), ["issue:readiness/checklist"]),
        (S, D, (), []),  # moving back needs nothing
        (None, D, (), []),  # the first phase has nothing before it
        (None, S, (), ["issue:discovery/readout", "issue:readiness/checklist"]),
        (S, X, ("issue:discovery/readout",), ["issue:sprinting/go"]),
    ],
)
def test_moving_forward_passes_every_gate_on_the_way(
    given_current: Phase | None,
    when_target: Phase,
    gates_closed: tuple[str, ...],
    then_held: list[str],
) -> None:
    held = blocking_gates(ONE, given_current, when_target, closed(*gates_closed))
    assert [h.gate.key for h in held] == then_held


@pytest.mark.parametrize(
    ("gates_closed", "then_held"),
    [
        (("issue:b/go",), ["issue:a/go"]),
        (("issue:a/go", "issue:b/go"), []),
        ((), ["issue:a/go", "issue:b/go"]),
    ],
)
def test_scaling_waits_for_every_pilots_gate(
    gates_closed: tuple[str, ...], then_held: list[str]
) -> None:
    held = blocking_gates(TWO, SB, XX, closed(*gates_closed))
    assert [h.gate.key for h in held] == then_held


THREE = blueprint(*TWO.phases[:-1], phase("scaling", "issue:scaling/done"), phase("close"))
*_, SCALING, CLOSE = THREE.phases


def test_past_the_pilots_their_gates_hold_nothing_more() -> None:
    # forced into Scaling while pilot a's go/no-go stayed open: Close waits for Scaling only
    assert [h.gate.key for h in blocking_gates(THREE, SCALING, CLOSE, closed("issue:b/go"))] == [
        "issue:scaling/done"
    ]
    assert blocking_gates(THREE, SCALING, CLOSE, closed("issue:b/go", "issue:scaling/done")) == ()
    moved = advance_on_gate(THREE, SCALING, "issue:scaling/done", closed("issue:b/go"))
    assert moved == CLOSE
    # still in a pilot's phase, Close needs every pilot's gate on the way
    held = blocking_gates(THREE, SB, CLOSE, closed("issue:b/go", "issue:scaling/done"))
    assert [h.gate.key for h in held] == ["issue:a/go"]


def test_a_gate_not_created_yet_holds_and_says_so() -> None:
    held = blocking_gates(ONE, D, R, {})
    assert held[0].gate.iid is None
    assert "not created yet" in refusal(D, R, held)


def test_refusal_links_the_open_gate_and_names_force() -> None:
    live = {
        "issue:discovery/readout": GateIssue(
            "issue:discovery/readout", "Readout", False, 7, "http://x/7"
        )
    }
    text = refusal(D, R, blocking_gates(ONE, D, R, live))
    assert "[#7 Readout](http://x/7)" in text
    assert "--force" in text


def test_forced_note_names_who_and_which_gate() -> None:
    held = blocking_gates(ONE, D, R, {})
    note = forced_note(D, R, held, "pm")
    assert note.startswith("@pm moved the engagement from Discovery to Readiness with `--force`")
    assert "Gate of Discovery" in note


@pytest.mark.parametrize(
    ("given_current", "when_closed", "already_closed", "then_phase"),
    [
        (D, "issue:discovery/readout", (), R),
        (R, "issue:discovery/readout", (), None),  # an earlier phase's gate moves nothing
        (D, "issue:sprinting/go", (), None),  # a later gate does not skip phases
        (S, "issue:sprinting/go", (), X),
        (D, "issue:other", (), None),
    ],
)
def test_closing_the_current_gate_moves_one_phase_on(
    given_current: Phase,
    when_closed: str,
    already_closed: tuple[str, ...],
    then_phase: Phase | None,
) -> None:
    assert advance_on_gate(ONE, given_current, when_closed, closed(*already_closed)) == then_phase


def test_closing_one_pilot_gate_waits_for_the_other() -> None:
    assert advance_on_gate(TWO, SB, "issue:b/go", {}) is None
    assert advance_on_gate(TWO, SB, "issue:b/go", closed("issue:a/go")) == XX


def test_phases_without_a_gate_still_end_with_their_time_box() -> None:
    assert ended_by_timebox(ONE, X)
    assert not ended_by_timebox(ONE, D)
    assert not ended_by_timebox(ONE, None)


def test_live_gates_come_from_the_issues_markers() -> None:
    from bot.domain.model import LiveEngagement, LiveIssue, ProjectFacts

    live = LiveEngagement(
        ProjectFacts(1, "g/p", "p"),
        issues=(
            LiveIssue(4, "Readout", "closed", (), None, None, "issue:discovery/readout"),
            LiveIssue(5, "Other", "opened", (), None, None, "issue:other"),
        ),
    )
    found = live_gates(live, ONE)
    assert list(found) == ["issue:discovery/readout"]
    assert found["issue:discovery/readout"].closed
    assert blocking_gates(ONE, D, R, found) == ()


# -- the decisions that use the gates ---------------------------------------------------------


def test_phase_next_refuses_with_the_open_gates_link() -> None:
    outcome = decisions.phase(world(), BLUEPRINT, "next")
    assert isinstance(outcome, Refusal)
    assert "[#1 Readout accepted](http://gl/1)" in outcome.reason


def test_phase_next_moves_once_the_gate_is_closed() -> None:
    outcome = decisions.phase(world(closed=("issue:discovery/readout",)), BLUEPRINT, "next")
    assert isinstance(outcome, Decision)
    assert outcome.effects == (
        RelabelEpic("epic:engagement", ("Phase::Discovery",), ("Phase::Sprinting",)),
    )


def test_force_moves_and_records_the_override_on_the_epic() -> None:
    outcome = decisions.phase(world(), BLUEPRINT, "next", force=True, author="pm")
    assert isinstance(outcome, Decision)
    relabel, note = outcome.effects
    assert isinstance(relabel, RelabelEpic) and isinstance(note, UpsertNote)
    assert note.body.startswith("@pm moved the engagement from Discovery to Sprinting")
    assert "Forced past 1 open gate(s)" in outcome.said


def test_moving_back_needs_no_gate() -> None:
    outcome = decisions.phase(world("Phase::Sprinting"), BLUEPRINT, "discovery")
    assert isinstance(outcome, Decision)


def test_closing_the_current_gate_advances_the_phase() -> None:
    live = world(closed=("issue:discovery/readout",))
    outcome = decisions.phase_progress(live, BLUEPRINT, 1, date(2026, 1, 9))
    assert isinstance(outcome, Decision)
    relabels = [e for e in outcome.effects if isinstance(e, RelabelEpic)]
    assert relabels == [
        RelabelEpic("epic:engagement", ("Phase::Discovery",), ("Phase::Sprinting",))
    ]
    notes = [e for e in outcome.effects if isinstance(e, UpsertNote) and "gate #1" in e.body]
    assert notes, outcome.effects


def test_every_issue_of_a_gated_epic_done_does_not_advance() -> None:
    # the Sprinting epic's issues all closed but its gate: no move to Scaling
    done = ("issue:story", "issue:planning-1", "issue:retro-1", "issue:retro-2")
    live = world("Phase::Sprinting", closed=done)
    outcome = decisions.phase_progress(live, BLUEPRINT, 3, date(2026, 2, 1))
    assert isinstance(outcome, Decision)
    assert not [e for e in outcome.effects if isinstance(e, RelabelEpic)]


def test_closing_the_last_sprint_does_not_end_a_gated_phase() -> None:
    live = world("Phase::Sprinting", states={"milestone:sprint-2": "closed"})
    outcome = decisions.close_time_box(live, BLUEPRINT, 13, date(2026, 2, 9))
    assert isinstance(outcome, Decision)
    assert not [e for e in outcome.effects if isinstance(e, RelabelEpic)]


def test_a_closed_gate_moves_past_phases_whose_gates_closed_first() -> None:
    # pilots in parallel: pilot b passed Discovery already; closing a's go moves to b's Sprinting
    live = closed("issue:b/readout")
    assert advance_on_gate(TWO, SA, "issue:a/go", live) == SB
    # both of b's gates closed first: straight to Scaling
    assert advance_on_gate(TWO, SA, "issue:a/go", closed("issue:b/readout", "issue:b/go")) == XX


def test_before_any_phase_label_the_first_phases_gate_moves_the_engagement() -> None:
    live = world("no phase label", closed=("issue:discovery/readout",))
    outcome = decisions.phase_progress(live, BLUEPRINT, 1, date(2026, 1, 9))
    assert isinstance(outcome, Decision)
    assert [e for e in outcome.effects if isinstance(e, RelabelEpic)] == [
        RelabelEpic("epic:engagement", ("no phase label",), ("Phase::Sprinting", "no phase label"))
    ]
