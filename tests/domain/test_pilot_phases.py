"""One phase per pilot: each pilot's phase read from its own gates, the engagement's derived
from them, a pilot's go/no-go needing its own earlier gates, and each wave's exit gate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import pytest

from bot.domain import decisions
from bot.domain.effects import Decision, RelabelEpic
from bot.domain.engagement import current_phase
from bot.domain.figures import engagement_figures
from bot.domain.gates import (
    GateIssue,
    blocking_gates,
    phase_gates,
    pilot_phases,
    pilots_line,
    required_before,
    unmet_gates,
)
from bot.domain.model import LiveEngagement, LiveEpic, LiveIssue, ProjectFacts
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint

PAYMENTS = (
    "issue:discovery/readout",
    "issue:team-readiness/checklist",
    "issue:sprint-0/exit",
    "issue:sprinting/go-no-go",
)
MOBILE = tuple(k.replace("issue:", "issue:pilot-2/") for k in PAYMENTS)
WAVES = ("issue:wave-1/validation", "issue:wave-2/validation", "issue:wave-3/validation")
ACCEPTANCE = "issue:close/acceptance"


@cache
def two_pilots() -> Blueprint:
    values = {
        "customer": "Acme",
        "start_date": "2026-01-05",
        "pilots": "2",
        "pilot_names": "Payments,Mobile",
        "waves": "3",
    }
    return render(load_playbook("tool-adoption"), values)


def phase(key: str):
    return next(p for p in two_pilots().phases if p.key == key)


def closed(*keys: str) -> dict[str, GateIssue]:
    return {k: GateIssue(k, k, True, iid=n) for n, k in enumerate(keys, start=1)}


def engagement(label: str, closed_keys: tuple[str, ...]) -> LiveEngagement:
    """The two-pilot engagement in GitLab: every planned issue, the gates in `closed_keys`
    closed, the engagement epic carrying `label`."""
    bp = two_pilots()
    issues = tuple(
        LiveIssue(
            n,
            i.title,
            "closed" if i.key in closed_keys else "opened",
            i.labels,
            i.weight,
            None,
            i.key,
            # a closed gate's acceptance criteria were ticked before it closed
            i.description.replace("[ ]", "[x]") if i.key in closed_keys else i.description,
        )
        for n, i in enumerate(bp.issues, 1)
    )
    epics = tuple(
        LiveEpic(str(n), e.key, e.title, (label,) if e.key == "epic:engagement" else e.labels)
        for n, e in enumerate(bp.epics, 1)
    )
    return LiveEngagement(ProjectFacts(7, "acme/delivery", "delivery"), (), issues, epics)


def test_the_scaling_phase_holds_each_waves_exit_gate_then_its_own() -> None:
    assert phase_gates(two_pilots(), phase("phase:scaling")) == WAVES
    assert phase_gates(two_pilots(), phase("phase:close")) == (ACCEPTANCE,)


@pytest.mark.parametrize(
    ("gates_closed", "then"),
    [
        ((), "Pilots: Payments in Discovery, Mobile in Discovery"),
        (PAYMENTS[:3], "Pilots: Payments in Sprinting, Mobile in Discovery"),
        ((*PAYMENTS[:3], MOBILE[0]), "Pilots: Payments in Sprinting, Mobile in Team Readiness"),
        ((*PAYMENTS, *MOBILE[:2]), "Pilots: Payments passed its go/no-go, Mobile in Sprint 0"),
    ],
)
def test_each_pilot_has_its_own_phase_from_its_gates(gates_closed, then) -> None:
    assert pilots_line(pilot_phases(two_pilots(), closed(*gates_closed))) == then


def test_a_shared_phase_label_names_the_first_pilot_still_in_that_phase() -> None:
    labels = ("PSDM Phase::Sprinting",)
    assert current_phase(two_pilots(), labels, PAYMENTS[:3]) == phase("phase:sprinting")
    passed = (*PAYMENTS, *MOBILE[:3])
    assert current_phase(two_pilots(), labels, passed) == phase("phase:pilot-2/sprinting")


def test_the_engagement_phase_is_derived_from_its_pilots() -> None:
    live = engagement("PSDM Phase::Sprinting", PAYMENTS[:3])
    snapshot = engagement_figures(live, two_pilots(), date(2026, 2, 20))
    assert snapshot.phase == "Sprinting"  # Payments', not Mobile's "phase 8 of 10"
    assert snapshot.stage == "Pilots: Payments in Sprinting, Mobile in Discovery"
    current = [p.key for p in snapshot.phases if p.current]
    assert current == ["phase:sprinting"]


@pytest.mark.parametrize(
    ("gate", "gates_closed", "then_open"),
    [
        # a pilot's go/no-go needs its own earlier gates, never another pilot's
        (MOBILE[3], PAYMENTS, MOBILE[:3]),
        (MOBILE[3], MOBILE[:3], ()),
        (PAYMENTS[3], PAYMENTS[:3], ()),
        # a wave's exit needs every pilot's gates; the last wave's needs the other waves' too
        (WAVES[0], PAYMENTS, MOBILE),
        (WAVES[2], (*PAYMENTS, *MOBILE, WAVES[0]), (WAVES[1],)),
        # acceptance needs every wave's exit
        (ACCEPTANCE, (*PAYMENTS, *MOBILE, WAVES[2]), WAVES[:2]),
        (ACCEPTANCE, (*PAYMENTS, *MOBILE, *WAVES), ()),
    ],
)
def test_a_gate_passes_only_after_the_gates_before_it(gate, gates_closed, then_open) -> None:
    held = unmet_gates(two_pilots(), gate, closed(*gates_closed))
    assert tuple(h.gate.key for h in held) == then_open


def test_past_the_pilots_a_forced_engagement_needs_only_the_later_gates() -> None:
    needed = {key for _, key in required_before(two_pilots(), ACCEPTANCE, phase("phase:scaling"))}
    assert needed == set(WAVES)


def test_scaling_starts_only_when_every_pilots_go_no_go_has_passed() -> None:
    sprinting = phase("phase:pilot-2/sprinting")
    held = blocking_gates(two_pilots(), sprinting, phase("phase:scaling"), closed(*MOBILE))
    assert [h.gate.key for h in held] == [PAYMENTS[3]]


def test_close_waits_for_every_waves_exit_gate() -> None:
    scaling, close = phase("phase:scaling"), phase("phase:close")
    held = blocking_gates(two_pilots(), scaling, close, closed(WAVES[2]))
    assert [h.gate.key for h in held] == list(WAVES[:2])


def test_closing_mobiles_go_no_go_while_payments_is_sprinting_moves_nothing() -> None:
    live = engagement("PSDM Phase::Sprinting", (*PAYMENTS[:3], MOBILE[3]))
    iid = next(i.iid for i in live.issues if i.key == MOBILE[3])
    outcome = decisions.phase_progress(live, two_pilots(), iid, date(2026, 2, 20))
    assert isinstance(outcome, Decision)
    assert not [e for e in outcome.effects if isinstance(e, RelabelEpic)]


def test_closing_payments_go_no_go_moves_on_to_mobiles_first_open_phase() -> None:
    live = engagement("PSDM Phase::Sprinting", PAYMENTS)
    iid = next(i.iid for i in live.issues if i.key == PAYMENTS[3])
    outcome = decisions.phase_progress(live, two_pilots(), iid, date(2026, 4, 27))
    assert isinstance(outcome, Decision)
    moved = [e for e in outcome.effects if isinstance(e, RelabelEpic)]
    assert moved and "PSDM Phase::Discovery" in moved[0].labels
    after = replace(
        live,
        epics=tuple(
            replace(e, labels=moved[0].labels) if e.key == "epic:engagement" else e
            for e in live.epics
        ),
    )
    snapshot = engagement_figures(after, two_pilots(), date(2026, 4, 27))
    assert snapshot.phase == "Mobile: Discovery"
    assert snapshot.stage == "Pilots: Payments passed its go/no-go, Mobile in Discovery"
