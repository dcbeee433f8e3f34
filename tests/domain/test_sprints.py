"""Closing a sprint: open work moves to the next open sprint; the rest stays; odd closes warn."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.sprints import (
    LiveTimeBox,
    SprintItem,
    close_sprint,
    close_warnings,
    kind_of,
    next_open_sprint,
    refusal,
    warning_comment,
)
from bot.playbook.blueprint import Blueprint, Issue, TimeBox

DISCOVERY = TimeBox("milestone:discovery", "Discovery", date(2026, 1, 5), date(2026, 1, 11))
S1 = TimeBox("milestone:sprint-1", "Sprint 1", date(2026, 1, 12), date(2026, 1, 25), kind="sprint")
S2 = TimeBox("milestone:sprint-2", "Sprint 2", date(2026, 1, 26), date(2026, 2, 8), kind="sprint")
S3 = TimeBox("milestone:sprint-3", "Sprint 3", date(2026, 2, 9), date(2026, 2, 22), kind="sprint")
BLUEPRINT = Blueprint(
    "test",
    timeboxes=(DISCOVERY, S1, S2, S3),
    issues=(
        Issue("issue:story", "A story", milestone=S1.key),
        Issue("issue:planning-1", "Planning", milestone=S1.key, kind="ceremony"),
        Issue("issue:retro-1", "Retro", milestone=S1.key, kind="governance", role="retrospective"),
    ),
)


def live(**states: str) -> dict[str, LiveTimeBox]:
    boxes = {"discovery": DISCOVERY, "s1": S1, "s2": S2, "s3": S3}
    return {
        boxes[name].key: LiveTimeBox(boxes[name].key, n, boxes[name].title, state)
        for n, (name, state) in enumerate(states.items(), start=1)
    }


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
    assert kind_of(BLUEPRINT, key, labels) == then


def test_open_work_moves_and_the_rest_stays() -> None:
    items = [
        SprintItem(1, "A story", False, "issue:story"),
        SprintItem(2, "Planning", False, "issue:planning-1"),
        SprintItem(3, "Retro", False, "issue:retro-1"),
        SprintItem(4, "Hand-made task", False),
        SprintItem(5, "Status", False, "issue:status/week-2", ("Weekly Status",)),
        SprintItem(6, "Done story", True),
    ]
    closing = close_sprint(
        BLUEPRINT, S1, items, live(discovery="closed", s1="closed", s2="active"), date(2026, 1, 26)
    )
    assert [i.iid for i in closing.moves] == [1, 4]
    assert [i.iid for i in closing.stays] == [2, 3, 5, 6]
    assert closing.target is not None and closing.target.title == "Sprint 2"
    assert closing.warnings == ()
    assert closing.summary() == "unfinished work moved to Sprint 2: #1, #4"


def test_the_next_open_sprint_skips_closed_ones_and_may_be_none() -> None:
    assert next_open_sprint(BLUEPRINT, S1, live(s2="closed", s3="active")).title == "Sprint 3"  # type: ignore[union-attr]
    assert next_open_sprint(BLUEPRINT, S3, live(s3="active")) is None
    closing = close_sprint(BLUEPRINT, S3, [SprintItem(1, "x", False)], live(), date(2026, 3, 1))
    assert closing.target is None
    assert "no later sprint is open" in closing.summary()


@pytest.mark.parametrize(
    ("today", "states", "then"),
    [
        (date(2026, 1, 26), {"discovery": "closed", "s1": "active"}, []),
        (date(2026, 1, 5), {"discovery": "closed"}, ["has not started"]),
        (
            date(2026, 1, 20),
            {"discovery": "active"},
            ["Earlier time-boxes are still open: Discovery"],
        ),
        (date(2026, 1, 5), {"discovery": "active"}, ["has not started", "Discovery"]),
    ],
)
def test_closing_early_or_out_of_order_warns(
    today: date, states: dict[str, str], then: list[str]
) -> None:
    warnings = close_warnings(BLUEPRINT, S1, live(**states), today)
    assert len(warnings) == len(then)
    for warning, expected in zip(warnings, then, strict=True):
        assert expected in warning


def test_warning_and_refusal_texts() -> None:
    closing = close_sprint(BLUEPRINT, S2, [], live(s1="active"), date(2026, 1, 12))
    comment = warning_comment(closing, "in GitLab")
    assert comment.startswith("**Warning:** Sprint 2 was closed in GitLab")
    assert "Sprint 1" in comment and "has not started" in comment
    assert "--force" in refusal(closing)
