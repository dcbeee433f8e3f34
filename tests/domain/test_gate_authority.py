"""Gates with authority, and the time-boxes a passed gate closes.

A gate names who may pass it (its phase's approver roles, the people in the engagement's
variables, else a lowest access level); a gate closed by someone else, with criteria unticked
or with gates before it open is reopened with a note saying why; a passed gate is recorded on
the engagement epic and closes its phase's time-boxes, so the bot's own sprint close is never
refused because of a time-box it passed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.domain import decisions
from bot.domain.effects import (
    CloseMilestone,
    Decision,
    Effect,
    MoveIssues,
    OnEpic,
    OnIssue,
    Refusal,
    SetIssueState,
    UpsertNote,
)
from bot.domain.gates import Approvers, approvers, unticked
from bot.domain.model import Closer, LiveEngagement
from bot.playbook.blueprint import Blueprint
from tests.domain.world import blueprint, issues, live

DISCOVERY = "issue:discovery/readout"
READINESS = "issue:team-readiness/checklist"
SPRINT_0 = "issue:sprint-0/exit"
ACCEPTANCE = "issue:close/acceptance"
PHASES = {"PSDM Phase::Discovery": DISCOVERY}


def with_people(**people: str) -> Blueprint:
    return replace(blueprint(), variables={**blueprint().variables, **people})


def phase_of(key: str):
    return next(p for p in blueprint().phases if p.gate == key)


def ticked(key: str) -> str:
    return next(i for i in blueprint().issues if i.key == key).description.replace("[ ]", "[x]")


def gate_closed(
    key: str,
    by: Closer | None,
    *,
    tick: bool = True,
    before: tuple[str, ...] = (),
    label: str = "PSDM Phase::Discovery",
) -> tuple[LiveEngagement, int]:
    """The engagement with the gate `key` just closed by `by` (and the gates `before` passed)."""
    changes = {k: {"state": "closed", "description": ticked(k)} for k in before}
    changes[key] = {"state": "closed", "description": ticked(key) if tick else None}
    if not tick:
        del changes[key]["description"]
    engagement = live(issues(**changes), phase_label=label)
    iid = next(i.iid for i in engagement.issues if i.key == key)
    if by is not None:
        engagement = replace(engagement, closers=(replace(by, iid=iid),))
    return engagement, iid


def rita(level: int = 20) -> Closer:
    return Closer(0, "rita", level, datetime(2026, 1, 9, 15, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("people", "gate", "who", "level", "allowed"),
    [
        # acceptance names the customer sponsor: only they pass it, whatever their GitLab role
        ({"customer_sponsor": "sam"}, ACCEPTANCE, "sam", 20, True),
        ({"customer_sponsor": "sam"}, ACCEPTANCE, "SAM", 20, True),
        ({"customer_sponsor": "sam"}, ACCEPTANCE, "mia", 50, False),
        # nobody recorded for the role: a project Maintainer or above
        ({}, ACCEPTANCE, "mia", 40, True),
        ({}, ACCEPTANCE, "rita", 30, False),
        # Discovery's readout: the engagement or project manager
        ({"project_manager": "pat", "engagement_manager": "eve"}, DISCOVERY, "eve", 30, True),
        ({"project_manager": "pat"}, DISCOVERY, "mia", 40, False),
    ],
)
def test_who_may_pass_a_gate(people, gate, who, level, allowed) -> None:
    found = approvers(with_people(**people), phase_of(gate))
    assert found.allow(who, level) is allowed


def test_the_approvers_are_named_politely() -> None:
    named = approvers(with_people(customer_sponsor="sam"), phase_of(ACCEPTANCE))
    assert named.text() == "@sam (customer sponsor)"
    assert Approvers((), (), 40).text() == "a project Maintainer or above"


@pytest.mark.parametrize(
    ("description", "then"),
    [
        ("- [ ] one\n- [x] two\n* [X] three\n1. [ ] four", ("one", "four")),
        ("- [~] not applicable here\n- [x] done", ()),
        ("no task list at all", ()),
    ],
)
def test_the_unticked_criteria_of_a_gate(description, then) -> None:
    assert unticked(description) == then


def note_on_issue(outcome) -> UpsertNote:
    return next(
        e for e in outcome.effects if isinstance(e, UpsertNote) and isinstance(e.on, OnIssue)
    )


def test_a_gate_closed_by_a_reporter_is_reopened_with_a_note_naming_who_may_pass_it() -> None:
    engagement, iid = gate_closed(DISCOVERY, rita(20))
    bp = with_people(project_manager="pat")
    outcome = decisions.phase_progress(engagement, bp, iid, date(2026, 1, 9))
    assert isinstance(outcome, Decision)
    assert outcome.effects[0] == SetIssueState(iid, "opened")
    note = note_on_issue(outcome).body
    assert note.startswith("@rita closed this gate, and the bot reopened it")
    assert "Only @pat (project manager) may pass this gate." in note
    assert not [e for e in outcome.effects if isinstance(e, CloseMilestone)]


def test_a_gate_with_unticked_criteria_is_reopened_with_them_listed() -> None:
    engagement, iid = gate_closed(DISCOVERY, rita(40), tick=False)
    outcome = decisions.phase_progress(engagement, blueprint(), iid, date(2026, 1, 9))
    assert isinstance(outcome, Decision) and outcome.effects[0] == SetIssueState(iid, "opened")
    note = note_on_issue(outcome).body
    for item in unticked(next(i for i in blueprint().issues if i.key == DISCOVERY).description):
        assert f"  - [ ] {item}" in note
    assert "Only" not in note  # a Maintainer may pass it: only the criteria hold it


def test_a_gate_with_earlier_gates_open_is_reopened_with_them_linked() -> None:
    engagement, iid = gate_closed(SPRINT_0, rita(40), before=(DISCOVERY,))
    outcome = decisions.phase_progress(engagement, blueprint(), iid, date(2026, 1, 20))
    assert isinstance(outcome, Decision) and outcome.effects[0] == SetIssueState(iid, "opened")
    assert "Team Readiness: #" in note_on_issue(outcome).body


def test_a_passed_gate_is_recorded_on_the_engagement_epic_with_its_approver_and_date() -> None:
    engagement, iid = gate_closed(DISCOVERY, rita(40))
    outcome = decisions.phase_progress(engagement, blueprint(), iid, date(2026, 1, 10))
    assert isinstance(outcome, Decision)
    record = next(
        e
        for e in outcome.effects
        if isinstance(e, UpsertNote) and isinstance(e.on, OnEpic) and "gate-passed" in e.marker
    )
    assert record.on == OnEpic("epic:engagement")
    assert "by @rita on 2026-01-09" in record.body  # GitLab's time of the close, not today


def test_a_passed_gate_closes_its_phase_time_box_after_moving_its_open_work_on() -> None:
    engagement, iid = gate_closed(DISCOVERY, rita(40))
    outcome = decisions.phase_progress(engagement, blueprint(), iid, date(2026, 1, 10))
    assert isinstance(outcome, Decision)
    ids = {m.key: m.id for m in engagement.milestones}
    moves = [e for e in outcome.effects if isinstance(e, MoveIssues)]
    closes = [e for e in outcome.effects if isinstance(e, CloseMilestone)]
    assert closes == [CloseMilestone(ids["milestone:discovery"])]
    left = [
        i.iid
        for i in engagement.issues
        if i.milestone_id == ids["milestone:discovery"] and not i.closed
    ]
    work = set(moves[0].iids) if moves else set()
    assert work <= set(left)
    assert all(m.milestone_id == ids["milestone:team-readiness"] for m in moves)
    # the moves come before the close, and the epic's note says what moved
    effects: list[Effect] = list(outcome.effects)
    if moves:
        assert effects.index(moves[0]) < effects.index(closes[0])


def perform(engagement: LiveEngagement, effects) -> LiveEngagement:
    """The effects on time-boxes and issues, as GitLab would hold them afterwards."""
    for effect in effects:
        if isinstance(effect, CloseMilestone):
            engagement = engagement.with_milestone_closed(effect.milestone_id)
        elif isinstance(effect, MoveIssues):
            engagement = replace(
                engagement,
                issues=tuple(
                    replace(i, milestone_id=effect.milestone_id) if i.iid in effect.iids else i
                    for i in engagement.issues
                ),
            )
    return engagement


def test_the_bots_own_sprint_close_is_never_refused_for_time_boxes_it_passed() -> None:
    engagement = live(issues(), phase_label="PSDM Phase::Discovery")
    labels = ["PSDM Phase::Discovery", "PSDM Phase::Team Readiness", "PSDM Phase::Sprint 0"]
    for n, key in enumerate((DISCOVERY, READINESS, SPRINT_0)):
        engagement = replace(
            engagement,
            issues=tuple(
                replace(i, state="closed", description=ticked(key)) if i.key == key else i
                for i in engagement.issues
            ),
            epics=tuple(
                replace(e, labels=(labels[n],)) if e.key == "epic:engagement" else e
                for e in engagement.epics
            ),
        )
        iid = next(i.iid for i in engagement.issues if i.key == key)
        engagement = replace(engagement, closers=(Closer(iid, "mia", 40),))
        outcome = decisions.phase_progress(engagement, blueprint(), iid, date(2026, 2, 1))
        assert isinstance(outcome, Decision), outcome
        engagement = perform(engagement, outcome.effects)
    open_boxes = {m.key for m in engagement.milestones if m.active}
    assert (
        not {"milestone:discovery", "milestone:team-readiness", "milestone:sprint-0"} & open_boxes
    )
    sprint_1 = next(t for t in blueprint().timeboxes if t.key == "milestone:sprint-1")
    outcome = decisions.sprint_close(engagement, blueprint(), sprint_1.due_date)
    assert not isinstance(outcome, Refusal), outcome


def open_gate(key: str, tick: bool, before: tuple[str, ...] = ()) -> tuple[LiveEngagement, int]:
    changes = {k: {"state": "closed", "description": ticked(k)} for k in before}
    if tick:
        changes[key] = {"description": ticked(key)}
    engagement = live(issues(**changes), phase_label="PSDM Phase::Discovery")
    return engagement, next(i.iid for i in engagement.issues if i.key == key)


def test_gate_pass_by_an_approver_closes_the_gate_and_records_it() -> None:
    engagement, iid = open_gate(DISCOVERY, tick=True)
    bp = with_people(project_manager="pat")
    outcome = decisions.gate_pass(engagement, bp, iid, "pat", 20, date(2026, 1, 10))
    assert isinstance(outcome, Decision)
    assert outcome.effects[0] == SetIssueState(iid, "closed")
    record = next(
        e for e in outcome.effects if isinstance(e, UpsertNote) and "gate-passed" in e.marker
    )
    assert "by @pat on 2026-01-10" in record.body


def test_gate_pass_by_someone_else_is_refused_naming_the_approvers() -> None:
    engagement, iid = open_gate(DISCOVERY, tick=True)
    bp = with_people(project_manager="pat")
    outcome = decisions.gate_pass(engagement, bp, iid, "mia", 50, date(2026, 1, 10))
    assert isinstance(outcome, Refusal)
    assert "Only @pat (project manager) may pass this gate." in outcome.reason


def test_gate_pass_without_force_refuses_unticked_criteria() -> None:
    engagement, iid = open_gate(DISCOVERY, tick=False)
    outcome = decisions.gate_pass(engagement, blueprint(), iid, "mia", 40, date(2026, 1, 10))
    assert isinstance(outcome, Refusal) and "not all ticked" in outcome.reason


def test_gate_pass_force_passes_unticked_and_records_the_reason() -> None:
    engagement, iid = open_gate(READINESS, tick=False)
    outcome = decisions.gate_pass(
        engagement, blueprint(), iid, "mia", 40, date(2026, 1, 16), True, "checked in the call"
    )
    assert isinstance(outcome, Decision), outcome
    record = next(
        e for e in outcome.effects if isinstance(e, UpsertNote) and "gate-passed" in e.marker
    )
    assert "Passed with `--force`: checked in the call" in record.body


def test_gate_pass_force_is_still_for_approvers_only() -> None:
    engagement, iid = open_gate(ACCEPTANCE, tick=False)
    bp = with_people(customer_sponsor="sam")
    outcome = decisions.gate_pass(engagement, bp, iid, "mia", 50, date(2026, 6, 1), True, "x")
    assert isinstance(outcome, Refusal) and "@sam (customer sponsor)" in outcome.reason


def test_gate_pass_on_an_issue_that_is_no_gate_is_refused() -> None:
    engagement = live(issues())
    outcome = decisions.gate_pass(engagement, blueprint(), 1, "mia", 40, date(2026, 1, 10))
    assert isinstance(outcome, Refusal) and "no gate" in outcome.reason
