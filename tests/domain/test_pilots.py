"""`/psdm pilot add NAME` on a running engagement: one more pilot, Scaling waits for it too."""

from __future__ import annotations

from bot.domain import decisions
from bot.domain.effects import Decision, Reconcile, RecordEngagement, Refusal
from bot.domain.gates import blocking_gates
from bot.domain.model import LiveEngagement, ProjectFacts
from bot.domain.playbooks import Choice
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint

LIVE = LiveEngagement(ProjectFacts(7, "acme/pilot", "pilot"))
CHOICE = Choice("tool-adoption", {"customer": "Acme", "start_date": "2026-01-05"})


def rendered(choice: Choice) -> Blueprint:
    return render(load_playbook(choice.playbook), dict(choice.variables))


def test_pilot_add_renders_one_more_pilot_and_records_it() -> None:
    outcome = decisions.pilot_add(LIVE, CHOICE, rendered(CHOICE), "Mobile  app", rendered)
    assert isinstance(outcome, Decision)
    grow, record = outcome.effects
    assert isinstance(grow, Reconcile) and isinstance(record, RecordEngagement)
    assert record.variables["pilots"] == "2"
    assert record.variables["pilot_names"] == "Pilot 1,Mobile app"
    bigger = grow.blueprint
    assert [p.name for p in bigger.pilots] == ["Pilot 1", "Mobile app"]
    titles = {t.title for t in bigger.timeboxes}
    assert "Mobile app: Discovery" in titles
    scaling = next(p for p in bigger.phases if p.key == "phase:scaling")
    sprinting = next(p for p in bigger.phases if p.key == "phase:sprinting")
    held = {h.gate.key for h in blocking_gates(bigger, sprinting, scaling, {})}
    assert "issue:pilot-2/sprinting/go-no-go" in held  # Scaling waits for the new pilot


def test_the_same_pilot_twice_adds_nothing() -> None:
    grown = Choice(
        "tool-adoption", {**CHOICE.variables, "pilots": "2", "pilot_names": "Payments,Mobile"}
    )
    outcome = decisions.pilot_add(LIVE, grown, rendered(grown), "mobile", rendered)
    assert outcome == Decision((), "The pilot mobile already exists.")


def test_a_name_with_a_comma_is_refused() -> None:
    outcome = decisions.pilot_add(LIVE, CHOICE, rendered(CHOICE), "A, B", rendered)
    assert isinstance(outcome, Refusal) and "comma" in outcome.reason
