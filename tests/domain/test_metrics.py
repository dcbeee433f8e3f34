"""Metrics from seeded histories with known answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.figures import engagement_figures
from bot.domain.metrics import (
    Count,
    Durations,
    IssueHistory,
    KpiItem,
    LabelEvent,
    MilestoneEvent,
    StateEvent,
    closed_at,
    deployments_per_day,
    flow_metrics,
    forecast,
    kpi_totals,
    milestone_at,
    started_labels,
    velocity,
)

WORKFLOW = (
    "PSD Workflow::Not Started",
    "PSD Workflow::In Progress",
    "PSD Workflow::Blocked",
    "PSD Workflow::Done",
)
IN_PROGRESS = WORKFLOW[1]


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def history(
    iid: int,
    created: int,
    started: int | None,
    closed: int | None,
    *,
    workstream: str | None = "Migration",
    milestone: str | None = "Sprint 1",
    kind: str = "work",
) -> IssueHistory:
    labels = (LabelEvent(at(started), IN_PROGRESS, "add"),) if started else ()
    states = (StateEvent(at(closed), "closed"),) if closed else ()
    return IssueHistory(
        iid,
        at(created),
        kind=kind,  # type: ignore[arg-type]
        workstream=workstream,
        milestone=milestone,
        states=states,
        labels=labels,
    )


def test_started_labels_leave_out_not_started_and_done() -> None:
    assert started_labels(WORKFLOW) == {"PSD Workflow::In Progress", "PSD Workflow::Blocked"}


def test_cycle_and_lead_time_with_known_answers() -> None:
    seeded = [
        history(1, created=1, started=3, closed=5),  # cycle 2, lead 4
        history(2, created=1, started=2, closed=8),  # cycle 6, lead 7
        history(3, created=2, started=None, closed=6),  # lead 4, no cycle
        history(4, created=1, started=2, closed=None),  # still open: nothing
        history(5, created=1, started=2, closed=3, kind="ceremony"),  # not work
        history(6, created=1, started=4, closed=7, workstream="Training", milestone="Sprint 2"),
    ]
    found = flow_metrics(seeded, WORKFLOW)
    assert found.overall.cycle == Durations(3, 3.0, 3.7)  # 2, 6, 3
    assert found.overall.lead == Durations(4, 5.0, 5.2)  # 4, 7, 4, 6 -> mean 5.25
    assert found.overall.without_start == 1
    assert found.by_workstream["Migration"].cycle == Durations(2, 4.0, 4.0)
    assert found.by_workstream["Training"].lead == Durations(1, 6.0, 6.0)
    assert set(found.by_sprint) == {"Sprint 1", "Sprint 2"}
    assert found.by_sprint["Sprint 2"].cycle.median == 3.0


def test_a_reopened_issue_counts_from_its_last_close_and_is_open_when_reopened() -> None:
    reopened = IssueHistory(
        1,
        at(1),
        states=(StateEvent(at(3), "closed"), StateEvent(at(4), "reopened")),
    )
    assert closed_at(reopened) is None
    again = IssueHistory(
        1,
        at(1),
        states=(
            StateEvent(at(3), "closed"),
            StateEvent(at(4), "reopened"),
            StateEvent(at(9), "closed"),
        ),
        labels=(LabelEvent(at(2), IN_PROGRESS, "add"),),
    )
    found = flow_metrics([again], WORKFLOW).overall
    assert found.lead.median == 8.0 and found.cycle.median == 7.0


def test_closed_at_falls_back_to_gitlabs_field_without_state_events() -> None:
    assert closed_at(IssueHistory(1, at(1), closed_at=at(4))) == at(4)


def test_an_item_counts_in_the_sprint_it_was_in_when_it_closed() -> None:
    moved = IssueHistory(
        1,
        at(1),
        milestone="Sprint 3",
        states=(StateEvent(at(10), "closed"),),
        milestones=(
            MilestoneEvent(at(1), "Sprint 1", "add"),
            MilestoneEvent(at(8), "Sprint 1", "remove"),
            MilestoneEvent(at(8), "Sprint 2", "add"),
            MilestoneEvent(at(12), "Sprint 2", "remove"),
            MilestoneEvent(at(12), "Sprint 3", "add"),
        ),
    )
    assert milestone_at(moved, at(10)) == "Sprint 2"
    assert list(flow_metrics([moved], WORKFLOW).by_sprint) == ["Sprint 2"]


@pytest.mark.parametrize(
    ("done", "then"),
    [([], None), ([5], 5.0), ([2, 4, 6, 8], 6.0), ([3, 4], 3.5)],
)
def test_velocity_is_the_mean_of_the_last_three_finished_sprints(
    done: list[float], then: float | None
) -> None:
    assert velocity(done) == then


def test_forecast_with_known_answers() -> None:
    # 30 points left at (10 + 8 + 6) / 3 = 8 a sprint: 4 sprints of 14 days after Feb 8.
    found = forecast([12, 10, 8, 6], 30, date(2026, 2, 8), 14, planned_end=date(2026, 3, 22))
    assert found.velocity == 8.0
    assert found.sprints_needed == 4
    assert found.finish == date(2026, 4, 5)
    assert found.slip_days == 14
    assert "14 days after the planned end 2026-03-22" in found.text("weight")


@pytest.mark.parametrize(
    ("done", "remaining", "reason"),
    [
        ([], 10, "no sprint has finished yet"),
        ([0, 0], 10, "no work was done in recent sprints"),
    ],
)
def test_forecast_without_a_finish_says_why(
    done: list[float], remaining: float, reason: str
) -> None:
    found = forecast(done, remaining, date(2026, 2, 8), 14, None)
    assert found.finish is None and found.reason == reason
    assert reason in found.text("issues")


def test_forecast_when_nothing_is_left_is_the_last_sprint_end() -> None:
    found = forecast([5], 0, date(2026, 2, 8), 14, date(2026, 3, 1))
    assert found.finish == date(2026, 2, 8) and found.slip_days == -21


def test_kpis_sum_the_ticked_lines_of_labelled_issues_per_wave() -> None:
    repos = "KPI::Repositories Migrated"
    found = kpi_totals(
        [
            KpiItem((repos,), "- [x] acme/a\n- [X] acme/b\n- [ ] acme/c", "Wave 1"),
            KpiItem((repos,), "* [x] acme/d\n  - [ ] acme/e\ntext [x] not a task", "Wave 2"),
            KpiItem(("KPI::Users Onboarded",), "- [x] rita\n- [x] rob", "Wave 1"),
            KpiItem(("Workstream::CI/CD",), "- [x] not a KPI issue", "Wave 1"),
            KpiItem(("KPI::Pipelines Converted",), "", None),
        ]
    )
    assert found.totals == {
        "Users Onboarded": Count(2, 2),
        "Repositories Migrated": Count(3, 5),
        "Pipelines Converted": Count(0, 0),
        "Scanners Retired": Count(0, 0),
    }
    assert found.by_milestone["Wave 1"] == {
        "Repositories Migrated": Count(2, 3),
        "Users Onboarded": Count(2, 2),
    }
    assert found.by_milestone["Wave 2"] == {"Repositories Migrated": Count(1, 2)}
    assert found.any and Count(3, 5).text() == "3 of 5"


def test_deployment_frequency_is_a_total_divided_by_the_days() -> None:
    assert deployments_per_day(30, date(2026, 1, 1), date(2026, 1, 30)) == 1.0
    assert deployments_per_day(None, date(2026, 1, 1), date(2026, 1, 30)) is None


def test_weight_at_replays_weight_events() -> None:
    from bot.domain.metrics import WeightEvent, weight_at

    changed = IssueHistory(
        1, at(1), weight=8, weights=(WeightEvent(at(2), 3), WeightEvent(at(6), 8))
    )
    assert weight_at(changed, at(4)) == 3
    assert weight_at(changed, at(7)) == 8
    assert weight_at(IssueHistory(1, at(1), weight=5), at(4)) == 5


def test_forecast_of_the_engagements_sprints_with_known_answers() -> None:
    from bot.domain.metrics import forecast_of
    from tests.domain.engagement_world import BLUEPRINT, world

    # Sprint 1 finished with story #3 done and the hand-made task #7 slipped (moved on)
    live = world(
        "Phase::Sprinting",
        closed=("issue:story",),
        states={"milestone:discovery": "closed", "milestone:sprint-1": "closed"},
    )
    snapshot = engagement_figures(live, BLUEPRINT, date(2026, 1, 27))
    found = forecast_of(snapshot)
    # velocity 1 item a sprint; #7 slipped in Sprint 1 and nothing open in Sprint 2:
    # 1 item left -> 1 sprint of 14 days after Jan 25 = Feb 8, the planned end.
    assert (found.velocity, found.remaining, found.sprints_needed) == (1.0, 1, 1)
    assert found.finish == date(2026, 2, 8) and found.slip_days == 0


@pytest.mark.parametrize(
    ("default", "velocity", "sprints"),
    [
        # the story done without a weight counts 1: 5 weight left at 1 a sprint
        (None, 1.0, 5),
        # the playbook says an unweighted item is worth 3: 5 left at 3 a sprint
        ("3", 3.0, 2),
        # a value that is no whole number of at least 1 falls back to 1
        ("0", 1.0, 5),
        ("lots", 1.0, 5),
    ],
)
def test_an_unweighted_item_counts_the_default_weight_once_sprint_work_is_weighted(
    default, velocity, sprints
) -> None:
    from bot.domain.metrics import forecast_of, weighted_sprints
    from tests.domain.engagement_world import BLUEPRINT, world

    live = world(
        "Phase::Sprinting",
        closed=("issue:story",),
        states={"milestone:discovery": "closed", "milestone:sprint-1": "closed"},
    )
    weighted = replace(
        live,
        issues=tuple(
            replace(i, weight=5, milestone_id=13) if i.iid == 7 else i for i in live.issues
        ),
    )  # Sprint 2's work carries a weight, Sprint 1's done story does not
    variables = {} if default is None else {"default_weight": default}
    planned = replace(BLUEPRINT, variables=variables)
    snapshot = engagement_figures(weighted, planned, date(2026, 1, 27))
    assert weighted_sprints(snapshot)
    assert snapshot.velocity == velocity
    found = forecast_of(snapshot)
    assert (found.velocity, found.remaining, found.sprints_needed) == (velocity, 5, sprints)
    assert found.finish == date(2026, 1, 25) + timedelta(days=14 * sprints)


def test_without_any_weight_the_forecast_counts_work_items() -> None:
    from bot.domain.metrics import forecast_of, weighted_sprints
    from tests.domain.engagement_world import BLUEPRINT, world

    live = world(
        "Phase::Sprinting",
        closed=("issue:story",),
        states={"milestone:discovery": "closed", "milestone:sprint-1": "closed"},
    )
    snapshot = engagement_figures(live, BLUEPRINT, date(2026, 1, 27))
    assert not weighted_sprints(snapshot)
    found = forecast_of(snapshot)
    assert (found.velocity, found.remaining, found.finish) == (1.0, 1, date(2026, 2, 8))
