"""Every decision as a plain function: given a live engagement, when something happens, then
these effects (or this refusal). No sandbox, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.domain import decisions
from bot.domain.effects import (
    CloseMilestone,
    CompleteIssue,
    CreateLabel,
    Decision,
    MoveIssues,
    OnEpic,
    Reconcile,
    RecordEngagement,
    Refusal,
    RelabelEpic,
    RenameLabel,
    RetitleMilestone,
    SetIssueLabels,
    UpsertNote,
    told,
)
from bot.domain.figures import engagement_figures
from bot.domain.model import LiveLabel
from bot.domain.playbooks import Choice
from bot.playbook import load_playbook, render
from tests.domain.world import blueprint, issues, key_of, live

DISCOVERY_PHASE = "PSDM Phase::Discovery"
TODAY = date(2026, 2, 16)


def milestone_id(key: str) -> int:
    return next(n for n, t in enumerate(blueprint().timeboxes, 1) if t.key == key)


def kinds(outcome: object) -> list[str]:
    assert isinstance(outcome, Decision), outcome
    return [type(e).__name__ for e in outcome.effects]


EARLIER = ("milestone:discovery", "milestone:team-readiness", "milestone:sprint-0")
"""The time-boxes before Sprint 1: closed, so closing Sprint 1 is in turn."""


def sprint_1_work() -> list[str]:
    return [
        i.key
        for i in blueprint().issues
        if i.milestone == "milestone:sprint-1" and i.kind == "work"
    ]


# -- milestone closed ---------------------------------------------------------------------------


def test_a_closed_sprint_completes_its_retrospective_with_the_sprints_work_figures():
    # given sprint 1 closed with its first work item done
    work = sprint_1_work()
    engagement = live(issues(**{work[0]: {"state": "closed"}}), (*EARLIER, "milestone:sprint-1"))
    # when its milestone-closed event is decided
    outcome = decisions.close_time_box(
        engagement, blueprint(), milestone_id("milestone:sprint-1"), TODAY
    )
    # then the retrospective gets the same figures the report shows for that sprint, and the
    # open work moves to the next open sprint
    assert kinds(outcome) == ["CompleteIssue", "MoveIssues"]
    assert isinstance(outcome, Decision)
    retro = outcome.effects[0]
    assert isinstance(retro, CompleteIssue) and retro.key == key_of("sprint-1/retrospective")
    figures = engagement_figures(engagement, blueprint(), TODAY).sprint("milestone:sprint-1")
    assert figures is not None and figures.committed == len(work)
    assert f"| committed | {len(work)} |" in retro.section
    assert f"| slipped | {len(work) - 1} |" in retro.section
    assert "Weekly status" not in retro.section  # governance never slips


def test_open_actions_of_the_previous_retrospective_are_carried_over():
    previous = key_of("sprint-1/retrospective")
    changes = {previous: {"description": "## Action items\n- [ ] Shorter standups\n- [x] Done\n"}}
    engagement = live(issues(**changes), ("milestone:sprint-1", "milestone:sprint-2"))
    outcome = decisions.close_time_box(
        engagement, blueprint(), milestone_id("milestone:sprint-2"), TODAY
    )
    assert isinstance(outcome, Decision)
    retro = outcome.effects[0]
    assert isinstance(retro, CompleteIssue)
    assert "- [ ] Shorter standups" in retro.section and "Done" not in retro.section


@pytest.mark.parametrize(
    ("given_state", "given_labels", "then_kinds"),
    [
        ("closed", ["RetroComplete"], ["CompleteIssue", "SetIssueLabels", "MoveIssues"]),
        ("closed", [], ["CompleteIssue", "MoveIssues"]),
        ("opened", ["RetroComplete"], ["CompleteIssue", "MoveIssues"]),
    ],
)
def test_completing_a_held_retrospective_again_takes_retro_complete_off(
    given_state: str, given_labels: list[str], then_kinds: list[str]
):
    # given sprint 1's retrospective already held (closed) and marked RetroComplete
    retro = key_of("sprint-1/retrospective")
    changes = {retro: {"state": given_state, "labels": given_labels}}
    engagement = live(issues(**changes), (*EARLIER, "milestone:sprint-1"))
    # when sprint 1 closes (again) and the retrospective is completed, which reopens it
    outcome = decisions.close_time_box(
        engagement, blueprint(), milestone_id("milestone:sprint-1"), TODAY
    )
    # then the label comes off with the reopen: no event of the bot's own write would do it
    assert kinds(outcome) == then_kinds
    assert isinstance(outcome, Decision)
    for effect in outcome.effects:
        if isinstance(effect, SetIssueLabels):
            assert effect.remove == ("RetroComplete",) and effect.add == ()


@pytest.mark.parametrize(
    ("gated", "epic_labels", "expected"),
    [
        # a gated phase waits for its gate: its time-box closing moves nothing
        (True, (DISCOVERY_PHASE,), []),
        # a phase without a gate ends with its last time-box; a comment says why
        (False, (DISCOVERY_PHASE,), ["RelabelEpic", "UpsertNote"]),
        # someone moved it on already (by `/psdm phase next`): nothing to add
        (False, ("PSDM Phase::Team Readiness",), []),
        (False, ("PSDM Phase::Sprinting",), []),
    ],
)
def test_closing_a_phases_last_time_box_advances_only_a_phase_without_a_gate(
    gated, epic_labels, expected
):
    bp = blueprint()
    if not gated:
        bp = replace(bp, phases=tuple(replace(p, gate=None) for p in bp.phases))
    engagement = live(issues(), ("milestone:discovery",))
    epics = tuple(
        replace(e, labels=epic_labels) if e.key == "epic:engagement" else e
        for e in engagement.epics
    )
    outcome = decisions.close_time_box(
        replace(engagement, epics=epics), bp, milestone_id("milestone:discovery"), TODAY
    )
    assert kinds(outcome) == expected
    assert isinstance(outcome, Decision)
    for effect in outcome.effects:
        if isinstance(effect, RelabelEpic):
            assert effect.labels == ("PSDM Phase::Team Readiness",)
        if isinstance(effect, UpsertNote):
            assert effect.on == OnEpic("epic:engagement")
            assert "Discovery is complete" in effect.body


def test_a_milestone_that_is_no_time_box_is_refused_with_its_title():
    engagement = live(issues())
    stray = replace(engagement.milestones[0], id=999, title="Hackathon", key=None)
    outcome = decisions.close_time_box(
        replace(engagement, milestones=(*engagement.milestones, stray)), blueprint(), 999, TODAY
    )
    assert outcome == Refusal("milestone 'Hackathon' is not one of the engagement's time-boxes")


# -- issue closed or reopened -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "state", "wanted"),
    [
        ((), "closed", SetIssueLabels(1, ("PSD Workflow::Done",), ())),
        (
            ("PSD Workflow::In Progress",),
            "closed",
            SetIssueLabels(1, ("PSD Workflow::Done",), ("PSD Workflow::In Progress",)),
        ),
        (
            ("PSD Workflow::Done",),
            "opened",
            SetIssueLabels(1, ("PSD Workflow::In Progress",), ("PSD Workflow::Done",)),
        ),
        (("PSD Workflow::Done",), "closed", None),
    ],
)
def test_workflow_labels_follow_the_issue_state(labels, state, wanted):
    found = issues()
    found[0] = replace(found[0], labels=labels)
    outcome = decisions.follow_issue_state(live(found), blueprint(), 1, state)
    assert isinstance(outcome, Decision)
    assert outcome.effects == ((wanted,) if wanted else ())


def test_progress_is_noted_on_the_phase_epic_and_a_finished_phase_advances():
    discovery = [i.key for i in blueprint().issues if i.epic == "epic:discovery"]
    some = live(issues(**{discovery[0]: {"state": "closed"}}))
    first = next(i.iid for i in some.issues if i.key == discovery[0])
    outcome = decisions.phase_progress(some, blueprint(), first, TODAY)
    assert kinds(outcome) == ["UpsertNote"]
    assert isinstance(outcome, Decision) and "Discovery: " in outcome.said
    # every issue of the epic done but its gate: the phase stays
    gate = blueprint().phases[0].gate
    others = {k: {"state": "closed"} for k in discovery if k != gate}
    outcome = decisions.phase_progress(
        live(issues(**others), phase_label=DISCOVERY_PHASE), blueprint(), first, TODAY
    )
    assert kinds(outcome) == ["UpsertNote"]
    # the gate closes: the engagement moves on, and the epic's comment says why
    # the gate closes with its criteria ticked: the engagement moves on, the epic's comments
    # record the passed gate and say why the phase moved, and Discovery's time-box closes
    ticked = next(i for i in blueprint().issues if i.key == gate).description.replace("[ ]", "[x]")
    closing = {k: {"state": "closed"} for k in discovery} | {
        gate: {"state": "closed", "description": ticked}
    }
    every = live(issues(**closing), phase_label=DISCOVERY_PHASE)
    gate_iid = next(i.iid for i in every.issues if i.key == gate)
    outcome = decisions.phase_progress(every, blueprint(), gate_iid, TODAY)
    assert kinds(outcome) == [
        "UpsertNote",
        "UpsertNote",
        "MoveIssues",
        "CloseMilestone",
        "RelabelEpic",
        "UpsertNote",
    ]


def test_an_issue_outside_any_phase_epic_makes_no_progress_note():
    workstream = next(i.key for i in blueprint().issues if i.epic == "epic:platform")
    engagement = live(issues())
    iid = next(i.iid for i in engagement.issues if i.key == workstream)
    assert isinstance(decisions.phase_progress(engagement, blueprint(), iid, TODAY), Refusal)


# -- labels -------------------------------------------------------------------------------------


def test_deleted_labels_come_back_and_renamed_ones_get_their_name_back():
    standard = blueprint().labels
    held = [LiveLabel(n, lb.name, lb.color, lb.description) for n, lb in enumerate(standard, 1)]
    renamed = replace(held[0], name="Renamed by hand")
    engagement = replace(live(issues()), labels=(renamed, *held[2:]))
    outcome = decisions.restore_labels(engagement, blueprint())
    assert outcome.effects == (
        RenameLabel(renamed, standard[0].name),
        CreateLabel(standard[1].name, standard[1].color, standard[1].description),
    )
    intact = replace(engagement, labels=tuple(held))
    assert decisions.restore_labels(intact, blueprint()) == Decision((), "labels intact")


# -- commands -----------------------------------------------------------------------------------


def test_sprint_close_closes_first_completes_the_retro_and_moves_only_open_work():
    work = sprint_1_work()
    engagement = live(issues(**{work[0]: {"state": "closed"}}), EARLIER)
    outcome = decisions.sprint_close(engagement, blueprint(), TODAY)
    assert kinds(outcome) == ["CloseMilestone", "CompleteIssue", "MoveIssues"]
    assert isinstance(outcome, Decision)
    close, retro, move = outcome.effects
    assert close == CloseMilestone(milestone_id("milestone:sprint-1"))
    by_key = {i.key: i.iid for i in engagement.issues}
    assert isinstance(move, MoveIssues)
    assert move.iids == tuple(sorted(by_key[k] for k in work[1:]))
    assert move.milestone_id == milestone_id("milestone:sprint-2")
    assert isinstance(retro, CompleteIssue)
    assert f"| slipped | {len(work) - 1} |" in retro.section
    text = told(outcome, ["1", "11", "#x"])
    assert text.startswith("Sprint 1 is closed.") and "Unfinished work moved to Sprint 2" in text


def test_sprint_close_with_every_sprint_closed_is_refused():
    closed = tuple(t.key for t in blueprint().timeboxes if t.kind == "sprint")
    outcome = decisions.sprint_close(live(issues(), closed), blueprint(), TODAY)
    assert isinstance(outcome, Refusal) and "no sprint milestone is open" in outcome.reason


@pytest.mark.parametrize(
    ("epic_label", "target", "said"),
    [
        (DISCOVERY_PHASE, "next", "cannot move from Discovery to Team Readiness"),
        ("PSDM Phase::Team Readiness", "discovery", "moves from Team Readiness to Discovery"),
        (None, "next", "moves to Discovery"),
        (DISCOVERY_PHASE, "discovery", "already in Discovery"),
        (DISCOVERY_PHASE, "launch", "there is no phase `launch`"),
    ],
)
def test_the_phase_command_moves_the_label_or_says_why_not(epic_label, target, said):
    outcome = decisions.phase(live(issues(), phase_label=epic_label), blueprint(), target)
    text = outcome.said if isinstance(outcome, Decision) else outcome.reason
    assert said in text


def test_apply_records_the_choice_before_reconciling_and_plan_changes_nothing():
    facts = live(issues()).project
    choice = Choice("tool-adoption", {"customer": "Acme"})
    applied = decisions.apply(facts, choice, blueprint())
    assert applied.effects == (
        RecordEngagement(7, "acme/delivery", "tool-adoption", {"customer": "Acme"}),
        Reconcile(blueprint(), "apply"),
    )
    planned = decisions.plan(choice, blueprint())
    [only] = planned.effects
    assert isinstance(only, Reconcile) and only.dry_run


def test_adding_a_wave_reconciles_one_more_names_it_and_remembers_the_count():
    choice = Choice("tool-adoption", {"customer": "Acme", "start_date": "2026-01-05"})

    def rendering(chosen: Choice):
        return render(load_playbook(chosen.playbook), dict(chosen.variables))

    current = rendering(choice)
    outcome = decisions.wave_add(live(issues()), choice, current, "EMEA", rendering)
    assert kinds(outcome) == ["Reconcile", "RetitleMilestone", "RecordEngagement"]
    assert isinstance(outcome, Decision)
    grow, name, record = outcome.effects
    waves = int(str(current.variables["waves"]))
    assert isinstance(record, RecordEngagement) and record.variables["waves"] == str(waves + 1)
    assert isinstance(name, RetitleMilestone) and name.title == f"Wave {waves + 1}: EMEA"
    assert isinstance(grow, Reconcile) and grow.purpose == "grow"


def test_the_report_needs_a_status_issue():
    week = blueprint().status_week_on(TODAY)
    assert week is not None
    made = replace(issues()[0], iid=500, key=week.issue.key, title=week.issue.title)
    snapshot = engagement_figures(live([*issues(), made]), blueprint(), TODAY)
    posted = decisions.report(snapshot, "body")
    assert isinstance(posted, Decision) and snapshot.status_issue is not None
    missing = decisions.report(replace(snapshot, status_issue=None), "body")
    assert isinstance(missing, Refusal) and "no weekly status issue" in missing.reason


def test_a_new_project_is_recorded_once_then_scaffolded():
    facts = live(issues()).project
    outcome = decisions.scaffold(facts, Choice("tool-adoption", {}), blueprint())
    record, scaffold = outcome.effects
    assert isinstance(record, RecordEngagement) and record.first_only
    assert scaffold == Reconcile(blueprint(), "scaffold")
