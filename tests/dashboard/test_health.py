"""The health rule, signal by signal: the worst signal wins and says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.domain.health import HealthFacts, OverdueGate, health

TODAY = date(2026, 3, 2)
PLAN = date(2026, 4, 30)


def facts(
    forecast: date | None = PLAN,
    high_raid: int = 0,
    gates_late_by: tuple[int, ...] = (),
    failed: int = 0,
    plan: date | None = PLAN,
) -> HealthFacts:
    gates = tuple(
        OverdueGate(f"Phase {i}", TODAY - timedelta(days=d)) for i, d in enumerate(gates_late_by)
    )
    return HealthFacts(TODAY, plan, forecast, high_raid, gates, failed)


@pytest.mark.parametrize(
    ("given", "status", "reason"),
    [
        (facts(), "green", "on or before the plan"),
        (facts(forecast=None), "green", "no forecast before a sprint finishes"),
        (facts(plan=None, forecast=None), "green", "no planned finish"),
        (facts(forecast=PLAN + timedelta(days=1)), "amber", "is 1 days after the plan"),
        (facts(forecast=PLAN + timedelta(days=14)), "amber", "is 14 days after the plan"),
        (facts(forecast=PLAN + timedelta(days=15)), "red", "is 15 days after the plan"),
        (facts(high_raid=1), "amber", "1 open high-priority RAID item"),
        (facts(high_raid=2), "amber", "2 open high-priority RAID items"),
        (facts(high_raid=3), "red", "3 open high-priority RAID items"),
        (facts(gates_late_by=(7,)), "amber", "gate overdue: Phase 0 (the latest 7 days"),
        (facts(gates_late_by=(2, 8)), "red", "gate overdue: Phase 0, Phase 1 (the latest 8 days"),
        (facts(failed=1), "amber", "1 failed workflow"),
        (facts(failed=40), "amber", "40 failed workflows"),
        (replace(facts(), overdue_raid=1), "amber", "1 RAID item(s) past the due date"),
        (replace(facts(), overdue_raid=3), "red", "3 RAID item(s) past the due date"),
    ],
)
def test_each_signal_sets_the_status_and_says_why(given, status, reason) -> None:
    found = health(given)
    assert found.status == status
    assert reason in found.summary


def test_the_worst_signal_wins_and_comes_first() -> None:
    found = health(facts(high_raid=3, failed=2, forecast=PLAN + timedelta(days=3)))
    assert found.status == "red"
    assert [r.status for r in found.reasons] == ["red", "amber", "amber", "green", "green"]
    assert found.summary == "3 open high-priority RAID items"


def test_a_green_engagement_lists_every_signal() -> None:
    summary = health(facts()).summary
    for part in ("on or before the plan", "no open high-priority", "no overdue gate", "failed"):
        assert part in summary
