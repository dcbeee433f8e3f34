"""Closing a sprint: open work moves to the next open sprint; the rest stays; odd closes warn."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import decisions
from bot.domain.effects import Decision, MoveIssues, OnIssue, Refusal, UpsertNote
from bot.domain.engagement import kind_of
from bot.domain.model import LiveEngagement, LiveIssue, LiveMilestone, ProjectFacts
from bot.domain.sprints import close_sprint, close_warnings, refusal, warning_comment
from bot.playbook.blueprint import Blueprint, Issue, TimeBox
from tests.domain.engagement_world import BLUEPRINT as WORLD
from tests.domain.engagement_world import world

DISCOVERY = TimeBox("milestone:discovery", "Discovery", date(2026, 1, 5), date(2026, 1, 11))
S1 = TimeBox("milestone:sprint-1", "Sprint 1", date(2026, 1, 12), date(2026, 1, 25), kind="sprint")
S2 = TimeBox("milestone:sprint-2", "Sprint 2", date(2026, 1, 26), date(2026, 2, 8), kind="sprint")
S3 = TimeBox("milestone:sprint-3", "Sprint 3", date(2026, 2, 9), date(2026, 2, 22), kind="sprint")
BOXES = {"discovery": DISCOVERY, "s1": S1, "s2": S2, "s3": S3}
BLUEPRINT = Blueprint(
    "test",
    timeboxes=(DISCOVERY, S1, S2, S3),
    issues=(
        Issue("issue:story", "A story", milestone=S1.key, role="story"),
        Issue("issue:planning-1", "Planning", milestone=S1.key, kind="ceremony"),
        Issue("issue:retro-1", "Retro", milestone=S1.key, kind="governance", role="retrospective"),
    ),
)


def milestones(**states: str) -> tuple[LiveMilestone, ...]:
    return tuple(
        LiveMilestone(
            n,
            BOXES[name].title,
            state,
            BOXES[name].start_date,
            BOXES[name].due_date,
            BOXES[name].key,
        )
        for n, (name, state) in enumerate(states.items(), start=1)
    )


def issue(
    iid: int, key: str | None, labels: tuple[str, ...] = (), state: str = "opened"
) -> LiveIssue:
    return LiveIssue(iid, f"#{iid}", state, labels, None, 2, key)


@pytest.mark.parametrize(
    ("key", "labels", "then"),
    [
        ("issue:story", (), "work"),
        ("issue:planning-1", (), "ceremony"),
        ("issue:retro-1", (), "governance"),
        ("issue:status/week-3", (), "governance"),  # the bot's weekly status, made in its week
        ("issue:raid/note-12", (), "governance"),  # a risk raised by `/psdm risk`
        (None, ("PS RAID Log", "PS Risk"), "governance"),
        (None, ("Ceremony",), "ceremony"),
        (None, ("bug",), "work"),  # what the team adds by hand is work
    ],
)
def test_kind_of_an_issue(key: str | None, labels: tuple[str, ...], then: str) -> None:
    planned = next((i for i in BLUEPRINT.issues if i.key == key), None)
    assert kind_of(issue(1, key, labels), planned) == then


def test_open_work_moves_and_the_rest_stays() -> None:
    live = LiveEngagement(
        ProjectFacts(1, "g/p", "p"),
        milestones=milestones(discovery="closed", s1="active", s2="active"),
        issues=(
            issue(1, "issue:story"),
            issue(2, "issue:planning-1"),
            issue(3, "issue:retro-1"),
            issue(4, None),
            issue(5, "issue:status/week-2", ("Weekly Status",)),
            issue(6, None, state="closed"),
        ),
    )
    closing = close_sprint(live, BLUEPRINT, S1, live.milestones[1], date(2026, 1, 26))
    assert [i.iid for i in closing.moves] == [1, 4]
    assert closing.target is not None and closing.target.title == "Sprint 2"
    assert closing.warnings == ()
    assert closing.summary() == "Unfinished work moved to Sprint 2: #1, #4."


def test_with_no_later_open_sprint_the_work_stays_and_says_so() -> None:
    live = LiveEngagement(
        ProjectFacts(1, "g/p", "p"),
        milestones=milestones(discovery="closed", s1="active", s2="closed"),
        issues=(issue(1, "issue:story"),),
    )
    closing = close_sprint(live, BLUEPRINT, S1, live.milestones[1], date(2026, 1, 26))
    assert closing.target is None
    assert "No later sprint is open, so 1 unfinished work item(s) stay" in closing.summary()


@pytest.mark.parametrize(
    ("today", "states", "then"),
    [
        (date(2026, 1, 26), {"discovery": "closed", "s1": "active"}, []),
        (date(2026, 1, 5), {"discovery": "closed"}, ["has not started"]),
        (date(2026, 1, 20), {"discovery": "active"}, ["still open: Discovery"]),
        (date(2026, 1, 5), {"discovery": "active"}, ["has not started", "Discovery"]),
    ],
)
def test_closing_early_or_out_of_order_warns(
    today: date, states: dict[str, str], then: list[str]
) -> None:
    warnings = close_warnings(BLUEPRINT, S1, milestones(**states), today)
    assert len(warnings) == len(then)
    for warning, expected in zip(warnings, then, strict=True):
        assert expected in warning


def test_warning_and_refusal_texts() -> None:
    live = LiveEngagement(
        ProjectFacts(1, "g/p", "p"), milestones=milestones(s1="active", s2="active")
    )
    closing = close_sprint(live, BLUEPRINT, S2, live.milestones[1], date(2026, 1, 12))
    comment = warning_comment(closing, "in GitLab")
    assert comment.startswith("**Warning:** Sprint 2 was closed in GitLab")
    assert "Sprint 1" in comment and "has not started" in comment
    assert "--force" in refusal(closing)


# -- the decisions: milestone closed in GitLab, and `/psdm sprint close` -----------------------


def test_milestone_closed_in_gitlab_moves_slipped_work_only() -> None:
    live = world(
        "Phase::Sprinting",
        closed=("issue:discovery/readout",),
        states={"milestone:discovery": "closed", "milestone:sprint-1": "closed"},
    )
    outcome = decisions.close_time_box(live, WORLD, 12, date(2026, 1, 26))
    assert isinstance(outcome, Decision)
    moves = [e for e in outcome.effects if isinstance(e, MoveIssues)]
    assert moves == [MoveIssues((3, 7), 13, said="Unfinished work moved to Sprint 2: #3, #7.")]
    assert not [e for e in outcome.effects if isinstance(e, UpsertNote)]  # no warning


def test_a_future_sprint_closed_in_gitlab_warns_on_its_retrospective() -> None:
    live = world(states={"milestone:sprint-1": "closed"})  # Discovery still open
    outcome = decisions.close_time_box(live, WORLD, 12, date(2026, 1, 6))
    assert isinstance(outcome, Decision)
    (warning,) = [e for e in outcome.effects if isinstance(e, UpsertNote)]
    assert warning.on == OnIssue(5)
    assert "has not started" in warning.body and "Discovery" in warning.body


def test_sprint_close_refuses_a_future_sprint_without_force() -> None:
    outcome = decisions.sprint_close(world(), WORLD, date(2026, 1, 6))
    assert isinstance(outcome, Refusal)
    assert "Sprint 1 was not closed" in outcome.reason and "--force" in outcome.reason


def test_sprint_close_with_force_closes_moves_and_warns() -> None:
    outcome = decisions.sprint_close(world(), WORLD, date(2026, 1, 6), force=True)
    assert isinstance(outcome, Decision)
    kinds = [type(e).__name__ for e in outcome.effects]
    assert kinds[0] == "CloseMilestone"
    assert "MoveIssues" in kinds
    (warning,) = [e for e in outcome.effects if isinstance(e, UpsertNote)]
    assert "closed with `/psdm sprint close --force`" in warning.body


def test_sprint_close_in_turn_needs_no_force() -> None:
    live = world(
        "Phase::Sprinting",
        closed=("issue:discovery/readout",),
        states={"milestone:discovery": "closed"},
    )
    outcome = decisions.sprint_close(live, WORLD, date(2026, 1, 26))
    assert isinstance(outcome, Decision)
    assert not [e for e in outcome.effects if isinstance(e, UpsertNote)]


def test_the_sweep_finds_closed_sprints_and_phases_only() -> None:
    from bot.domain.sprints import closed_timeboxes, timebox_closed_id

    wave = TimeBox("milestone:wave-1", "Wave 1", kind="wave")
    bp = Blueprint("t", timeboxes=(DISCOVERY, S1, S2, wave))
    live = (
        *milestones(discovery="closed", s1="active", s2="closed"),
        LiveMilestone(9, "Wave 1", "closed", None, None, wave.key),
        LiveMilestone(10, "Someone's own", "closed", None, None, None),
    )
    assert [m.title for m in closed_timeboxes(bp, live)] == ["Discovery", "Sprint 2"]
    assert timebox_closed_id(4, 12) == "timebox-closed:4:12"
