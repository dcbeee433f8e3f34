"""The weekly status issue of each week, business outcomes and budget burn."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.effects import CreateIssue, Decision, Refusal
from bot.domain.weekly import (
    BusinessOutcome,
    LabelledWork,
    engagement_week,
    outcome_progress,
    slot_id,
    stated_outcomes,
    status_issue,
    weekly_status,
)
from bot.playbook.blueprint import Blueprint, Epic, Issue, Label, TimeBox

DISCOVERY = TimeBox("milestone:discovery", "Discovery", date(2026, 1, 5), date(2026, 1, 11))
S1 = TimeBox(
    "milestone:sprint-1", "Sprint 1", date(2026, 1, 12), date(2026, 1, 25), "", "sprint", "phase:s"
)
BLUEPRINT = Blueprint(
    "test",
    variables={"customer": "Acme"},
    labels=(Label("label:status", "Weekly Status", "#fff"),),
    timeboxes=(DISCOVERY, S1),
    epics=(Epic("epic:engagement", "Acme engagement"),),
)


@pytest.mark.parametrize(
    ("day", "then"),
    [
        (date(2026, 1, 4), None),
        (date(2026, 1, 5), 1),
        (date(2026, 1, 11), 1),
        (date(2026, 1, 12), 2),
    ],
)
def test_engagement_week(day: date, then: int | None) -> None:
    assert engagement_week(date(2026, 1, 5), day) == then


def test_the_status_issue_of_this_week_only() -> None:
    issue = status_issue(BLUEPRINT, date(2026, 1, 14))
    assert issue is not None
    assert issue.key == "issue:status/week-2"
    assert issue.title == "Weekly status: week 2 (2026-01-12)"
    assert issue.milestone == S1.key and issue.phase == "phase:s"
    assert issue.labels == ("Weekly Status",)
    assert issue.epic == "epic:engagement"
    assert issue.kind == "governance"
    assert "Acme" in issue.description


@pytest.mark.parametrize("day", [date(2026, 1, 4), date(2026, 1, 26)])
def test_no_status_outside_the_engagement(day: date) -> None:
    assert status_issue(BLUEPRINT, day) is None


def test_a_playbook_that_lists_the_week_is_followed() -> None:
    listed = Issue("issue:status/week-1", "Custom week 1", role="status", kind="governance")
    bp = Blueprint("t", timeboxes=(DISCOVERY,), issues=(listed,))
    assert status_issue(bp, date(2026, 1, 6)) is listed


def test_slot_id_is_one_per_project_and_week() -> None:
    assert slot_id(12, 3) == "weekly-status:12:week-3"


def test_stated_outcomes_with_and_without_targets() -> None:
    found = stated_outcomes(
        {
            "business_outcomes": (
                "Repositories migrated: 1,200; Retire Jenkins\n- Users onboarded: 3000"
            )
        }
    )
    assert found == (
        BusinessOutcome("Repositories migrated", 1200),
        BusinessOutcome("Retire Jenkins"),
        BusinessOutcome("Users onboarded", 3000),
    )
    assert stated_outcomes({}) == ()


def test_outcome_progress_from_kpis_labels_or_not_measured() -> None:
    found = outcome_progress(
        [
            BusinessOutcome("Repositories migrated", 1200),
            BusinessOutcome("Retire Jenkins"),
            BusinessOutcome("Faster"),
        ],
        {"Repositories Migrated": (300, 900)},
        [
            LabelledWork(True, ("Outcome: Retire Jenkins",)),
            LabelledWork(False, ("Outcome: retire jenkins",)),
            LabelledWork(True, ("bug",)),
        ],
    )
    assert [(p.done, p.of, p.percent) for p in found] == [
        (300, 1200, 25),
        (1, 2, 50),
        (None, None, None),
    ]
    assert "not measured yet" in found[2].how


def test_weekly_status_is_created_once_in_its_week() -> None:
    from dataclasses import replace

    from bot.domain.effects import CreateIssue, Decision, Refusal
    from bot.domain.figures import engagement_figures
    from bot.domain.model import LiveEngagement, LiveIssue, ProjectFacts
    from bot.domain.weekly import weekly_status

    live = LiveEngagement(ProjectFacts(1, "acme/p", "p"))
    made = weekly_status(live, BLUEPRINT, date(2026, 1, 14))
    assert isinstance(made, Decision)
    (create,) = made.effects
    assert isinstance(create, CreateIssue) and create.key == "issue:status/week-2"
    assert "psdm-bot" in create.description  # the marker that finds it again
    found = LiveIssue(9, create.title, "opened", ("Weekly Status",), None, None, create.key)
    again = weekly_status(replace(live, issues=(found,)), BLUEPRINT, date(2026, 1, 15))
    assert isinstance(again, Decision) and again.effects == ()
    snapshot = engagement_figures(replace(live, issues=(found,)), BLUEPRINT, date(2026, 1, 15))
    assert snapshot.status_issue == 9  # the report goes on it
    assert isinstance(weekly_status(live, BLUEPRINT, date(2026, 3, 1)), Refusal)


def test_the_playbooks_declared_week_is_used() -> None:
    from dataclasses import replace

    from bot.playbook.blueprint import StatusWeek

    declared = Issue("issue:status/week-1", "Declared week 1", role="status", kind="governance")
    bp = replace(
        BLUEPRINT,
        weekly_status=(StatusWeek(1, date(2026, 1, 5), date(2026, 1, 11), declared),),
    )
    assert status_issue(bp, date(2026, 1, 7)) is declared
    assert status_issue(bp, date(2026, 1, 4)) is None  # before the engagement


def declared_weeks(weeks: int) -> Blueprint:
    """BLUEPRINT with a declared status week per planned week, in the Discovery/Sprint 1 plan."""
    from dataclasses import replace

    from bot.playbook.blueprint import Phase, StatusWeek

    def week(n: int) -> StatusWeek:
        begins = date.fromordinal(date(2026, 1, 5).toordinal() + 7 * (n - 1))
        issue = Issue(
            f"issue:status/week-{n}",
            f"Weekly status: week {n} ({begins})",
            f"Status for Acme, week of {begins}.\n\n## Budget burn\n",
            labels=("Weekly Status",),
            milestone="milestone:sprint-1",
            epic="epic:engagement",
            role="status",
            kind="governance",
        )
        return StatusWeek(n, begins, date.fromordinal(begins.toordinal() + 6), issue)

    close = Phase("phase:close", "Close", "PSDM Phase::Close", gate="issue:close/acceptance")
    return replace(BLUEPRINT, weekly_status=tuple(map(week, range(1, weeks + 1))), phases=(close,))


@pytest.mark.parametrize(
    ("day", "week", "over"),
    [
        (date(2026, 1, 26), 4, "1 week over"),  # the Monday after the 3-week plan ends
        (date(2026, 2, 8), 5, "2 weeks over"),
    ],
)
def test_an_engagement_running_over_still_gets_its_weekly_status(day, week, over) -> None:
    # given a plan of three declared weeks, when a later week comes
    bp = declared_weeks(3)
    issue = status_issue(bp, day)
    # then that week's status issue is due, keyed as the planned ones, built from the last
    assert issue is not None
    begins = date.fromordinal(date(2026, 1, 5).toordinal() + 7 * (week - 1))
    assert issue.key == f"issue:status/week-{week}"
    assert issue.title == f"Weekly status: week {week} ({begins}), past the planned end"
    assert f"past its planned end (2026-01-25, week 3): {over}." in issue.description
    assert f"week of {begins}" in issue.description
    assert issue.labels == ("Weekly Status",) and issue.milestone is None


def test_the_over_running_status_is_created_once_and_stops_at_the_close() -> None:
    from dataclasses import replace

    from bot.domain.model import LiveEngagement, LiveIssue, ProjectFacts

    bp = declared_weeks(3)
    day = date(2026, 1, 28)
    live = LiveEngagement(ProjectFacts(1, "acme/p", "p"))
    made = weekly_status(live, bp, day)
    assert isinstance(made, Decision)
    (create,) = made.effects
    assert isinstance(create, CreateIssue) and create.key == "issue:status/week-4"
    found = LiveIssue(9, create.title, "opened", (), None, None, create.key, create.description)
    again = weekly_status(replace(live, issues=(found,)), bp, day)
    assert isinstance(again, Decision) and again.effects == ()
    # the acceptance sign-off closed: the engagement is over, no more status issues
    gate = LiveIssue(3, "Gate", "closed", (), None, None, "issue:close/acceptance")
    closed = weekly_status(replace(live, issues=(gate,)), bp, date(2026, 2, 4))
    assert isinstance(closed, Refusal) and "the engagement is closed" in closed.reason
