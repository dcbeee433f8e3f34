"""An engagement as a PS engagement manager runs it, against the sandbox on each tier: gates
that hold (and `--force`), two pilots, sprints that close right, weekly status in its week,
cycle time and forecast from seeded histories.

Each step is the service's own path without the durable queue: read the project into the
read model, take the domain's decision, perform its effects through the adapter.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.domain import decisions
from bot.domain.effects import Decision, RecordEngagement, Refusal
from bot.domain.metrics import Durations, flow_metrics
from bot.domain.playbooks import Choice
from bot.domain.weekly import weekly_status
from bot.engine.marker import parse
from bot.gitlab.history import Picked, closed_histories, moment
from tests.scenarios.support import ACME, Engagement, Life, epic_comments, rendered, start

pytestmark = pytest.mark.xdist_group("engagement-life")
TWO_PILOTS = {**ACME, "pilots": "2", "pilot_names": "Payments,Mobile"}


def test_a_gate_holds_the_phase_and_force_is_recorded(engagement: Engagement) -> None:
    life = start(engagement)
    moved = life.perform(decisions.phase(life.read(), life.blueprint, "next"))
    assert isinstance(moved, Decision)
    assert life.phase_labels() == {"PSDM Phase::Discovery"}

    refused = decisions.phase(life.read(), life.blueprint, "next")
    assert isinstance(refused, Refusal)
    gate = life.issue("issue:discovery/readout")
    assert f"#{gate.iid} Gate: Discovery readout accepted" in refused.reason
    assert gate.web_url in refused.reason

    forced = life.perform(decisions.phase(life.read(), life.blueprint, "next", True, "alice"))
    assert isinstance(forced, Decision) and "Forced past 1 open gate" in forced.said
    assert life.phase_labels() == {"PSDM Phase::Team Readiness"}
    epic = life.read().epic_by_key("epic:engagement")
    assert epic is not None
    bodies = epic_comments(life, epic.ref)
    assert any("@alice moved the engagement from Discovery to Team Readiness" in b for b in bodies)


def test_closing_the_current_gate_advances_and_nothing_else_does(engagement: Engagement) -> None:
    life = start(engagement)
    life.perform(decisions.phase(life.read(), life.blueprint, "discovery"))
    # every other Discovery issue closed: the gate still holds
    for issue in life.blueprint.issues:
        if issue.epic == "epic:discovery" and issue.key != "issue:discovery/readout":
            iid = life.close(issue.key)
            life.perform(decisions.phase_progress(life.read(), life.blueprint, iid, date.today()))
    assert life.phase_labels() == {"PSDM Phase::Discovery"}
    iid = life.close("issue:discovery/readout")
    life.perform(decisions.phase_progress(life.read(), life.blueprint, iid, date.today()))
    assert life.phase_labels() == {"PSDM Phase::Team Readiness"}


def test_two_pilots_scaling_waits_for_both_gates(engagement: Engagement) -> None:
    life = start(engagement, TWO_PILOTS)
    titles = {m.title for m in life.read().milestones}
    assert {"Discovery", "Mobile: Discovery", "Mobile: Sprint 1"} <= titles
    life.perform(decisions.phase(life.read(), life.blueprint, "phase:pilot-2/sprinting", True))
    # Mobile's go/no-go closed while its own earlier gates are open: reopened, listing them
    iid = life.close("issue:pilot-2/sprinting/go-no-go")
    life.perform(decisions.phase_progress(life.read(), life.blueprint, iid, date.today()))
    go = life.issue("issue:pilot-2/sprinting/go-no-go")
    assert go.state == "opened"
    reopened = [n.body for n in go.notes.list(get_all=True) if "reopened it" in n.body]
    assert reopened and "Mobile: Discovery" in reopened[0]
    for key in ("discovery/readout", "team-readiness/checklist", "sprint-0/exit"):
        life.close(f"issue:pilot-2/{key}")
    iid = life.close("issue:pilot-2/sprinting/go-no-go")
    life.perform(decisions.phase_progress(life.read(), life.blueprint, iid, date.today()))
    assert life.issue("issue:pilot-2/sprinting/go-no-go").state == "closed"
    assert life.phase_labels() == {"PSDM Phase::Sprinting"}  # pilot 1's go is still open
    refused = decisions.phase(life.read(), life.blueprint, "scaling")
    assert isinstance(refused, Refusal)
    pilot_1_go = life.issue("issue:sprinting/go-no-go")
    assert f"- Sprinting (Payments): [#{pilot_1_go.iid} " in refused.reason
    assert refused.reason.count("\n- ") == 1  # Mobile's gate is closed
    life.close("issue:sprinting/go-no-go")
    outcome = decisions.phase(life.read(), life.blueprint, "scaling")
    assert isinstance(outcome, Decision), outcome
    life.perform(outcome)
    assert life.phase_labels() == {"PSDM Phase::Scaling"}


def test_pilot_add_on_a_running_engagement(engagement: Engagement) -> None:
    life = start(engagement)
    outcome = decisions.pilot_add(life.read(), life.choice, life.blueprint, "Mobile", rendered)
    assert isinstance(outcome, Decision)
    life.perform(outcome)
    record = next(e for e in outcome.effects if isinstance(e, RecordEngagement))
    grown = Life(engagement, Choice("tool-adoption", dict(record.variables)))
    titles = {m.title for m in grown.read().milestones}
    assert {"Mobile: Discovery", "Mobile: Sprint 6"} <= titles
    again = decisions.pilot_add(grown.read(), grown.choice, grown.blueprint, "Mobile", rendered)
    assert again == Decision((), "The pilot Mobile already exists.")
    assert not engagement.plan(grown.blueprint).pending  # nothing left to create


def test_sprint_close_of_a_future_sprint_refuses_then_forced_warns(
    engagement: Engagement,
) -> None:
    life = start(engagement)
    today = date(2026, 1, 7)  # in Discovery; Sprint 1 starts on 3 February
    refused = decisions.sprint_close(life.read(), life.blueprint, today)
    assert isinstance(refused, Refusal)
    assert "Sprint 1 has not started" in refused.reason and "Discovery" in refused.reason
    assert life.milestone("milestone:sprint-1").active

    life.perform(decisions.sprint_close(life.read(), life.blueprint, today, force=True))
    assert not life.milestone("milestone:sprint-1").active
    retro = life.issue("issue:sprint-1/retrospective")
    bodies = [n.body for n in retro.notes.list(get_all=True)]
    assert any(
        "**Warning:** Sprint 1 was closed with `/psdm sprint close --force`" in b for b in bodies
    )


def test_a_milestone_closed_in_gitlab_moves_slipped_work_only(engagement: Engagement) -> None:
    life = start(engagement)
    sprint_1, sprint_2 = life.milestone("milestone:sprint-1"), life.milestone("milestone:sprint-2")
    milestone = engagement.project.milestones.get(sprint_1.id)
    milestone.state_event = "close"
    milestone.save()
    outcome = decisions.close_time_box(life.read(), life.blueprint, sprint_1.id, date(2026, 2, 17))
    life.perform(outcome)
    live = life.read()
    work = live.issue_by_key("issue:platform/group-structure")
    planning = live.issue_by_key("issue:sprint-1/ceremonies")  # the sprint's ceremonies stay
    kpi = live.issue_by_key("issue:kpi/pipelines-converted")
    assert work is not None and work.milestone_id == sprint_2.id
    assert planning is not None and planning.milestone_id == sprint_1.id
    assert kpi is not None and kpi.milestone_id == sprint_1.id
    # handled once: run again (the sweep after the event), nothing moves twice
    again = decisions.close_time_box(life.read(), life.blueprint, sprint_1.id, date(2026, 2, 17))
    assert isinstance(again, Decision)
    assert not [e for e in again.effects if type(e).__name__ == "MoveIssues"]


def test_a_sprint_on_group_milestones_closes_and_gets_its_retrospective(
    engagement: Engagement,
) -> None:
    # the customer's group already runs its sprints as group milestones: the engine adopts them
    # by title, and GitLab takes their ids only on group endpoints (GL:doc/api/milestones.md,
    # GL:doc/api/group_milestones.md); the sandbox answers 404 on the project's
    group = engagement.sandbox.gitlab().groups.get("acme")
    shared = {
        title: group.milestones.create({"title": title, "start_date": start, "due_date": due})
        for title, start, due in (
            ("Sprint 1", "2026-02-03", "2026-02-16"),
            ("Sprint 2", "2026-02-17", "2026-03-02"),
        )
    }
    life = start(engagement)
    work = life.issue("issue:platform/group-structure")
    assert work.milestone["id"] == shared["Sprint 1"].id

    closed = life.perform(
        decisions.sprint_close(life.read(), life.blueprint, date(2026, 2, 17), force=True)
    )
    assert isinstance(closed, Decision) and closed.said.startswith("Sprint 1 is closed.")
    assert group.milestones.get(shared["Sprint 1"].id).state == "closed"
    assert group.milestones.get(shared["Sprint 2"].id).state == "active"
    assert life.issue("issue:platform/group-structure").milestone["id"] == shared["Sprint 2"].id
    retro = life.issue("issue:sprint-1/retrospective")
    assert "slipped" in retro.description
    bodies = [n.body for n in retro.notes.list(get_all=True)]
    assert any("**Warning:** Sprint 1 was closed with" in b for b in bodies)


def test_weekly_status_appears_in_its_week_once(engagement: Engagement) -> None:
    life = start(engagement)
    keys = {i.key for i in life.read().issues}
    assert not any(k and k.startswith("issue:status/") for k in keys)  # none up front
    week_3 = date(2026, 1, 21)
    made = life.perform(weekly_status(life.read(), life.blueprint, week_3))
    assert isinstance(made, Decision) and made.effects
    life.perform(weekly_status(life.read(), life.blueprint, week_3))
    statuses = [i for i in life.read().issues if (i.key or "").startswith("issue:status/")]
    assert [(i.key, i.title) for i in statuses] == [
        ("issue:status/week-3", "Weekly status: week 3 (2026-01-20)")
    ]
    snapshot = decisions.status(life.read(), life.blueprint, week_3)
    assert snapshot.status_issue == statuses[0].iid


def test_cycle_time_and_forecast_from_seeded_histories(engagement: Engagement) -> None:
    life = start(engagement)
    seeded = {  # issue key: days after its creation it started and closed; answers below
        "issue:platform/group-structure": (4, 6),
        "issue:cicd/workshop": (2, 8),
        "issue:sprint-0/migration-tooling": (None, 5),
    }
    for key, (started, closed) in seeded.items():
        issue = life.issue(key)
        born = moment(issue.created_at)
        assert born is not None
        issue.state_event = "close"
        issue.save()
        events = [{"type": "state", "state": "closed", "created_at": _later(born, closed)}]
        if started is not None:
            events.append(
                {
                    "type": "label",
                    "label": "PSD Workflow::In Progress",
                    "action": "add",
                    "created_at": _later(born, started),
                }
            )
        engagement.sandbox.control(
            "POST",
            "resource_events",
            {"project": engagement.path, "issue_iid": issue.iid, "events": events},
        )
    planned = {i.key: i for i in life.blueprint.issues}
    workflow = [n.name for n in life.blueprint.labels if "Workflow::" in n.name]

    def pick(issue: dict) -> Picked | None:
        marker = parse(issue.get("description"))[1]
        found = planned.get(marker.key) if marker else None
        return Picked(found.kind, found.epic) if found else None

    histories = closed_histories(life.gl.rest, engagement.path, pick)
    found = flow_metrics(histories, workflow)
    assert found.overall.cycle == Durations(2, 4.0, 4.0)  # 2 and 6 days
    assert found.overall.lead == Durations(3, 6.0, 6.3)  # 6, 8 and 5 days
    assert found.overall.without_start == 1
    assert found.by_workstream["epic:cicd"].lead == Durations(1, 8.0, 8.0)


def _later(born: datetime, days: int) -> str:
    return (born + timedelta(days=days)).isoformat().replace("+00:00", "Z")
