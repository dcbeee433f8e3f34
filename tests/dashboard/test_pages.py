"""The pages' view models, pure: gates, pilots, the forecast's health, filters, redirects."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.domain.figures import (
    EngagementSnapshot,
    PhaseStatus,
    Progress,
    ProjectRef,
    SprintFigures,
    Tally,
    TimeBox,
)
from bot.report.pages import (
    Filters,
    GateState,
    Reading,
    gate_state,
    health_facts,
    lanes,
    portfolio_row,
    portfolio_view,
)
from bot.service.auth import _local

TODAY = date(2026, 3, 2)


def box(key: str, kind: str, start: date, days: int, state: str) -> TimeBox:
    end = start + timedelta(days=days - 1)
    return TimeBox(key, key.title(), kind, None, start, end, state)


def snapshot(sprints: tuple[SprintFigures, ...] = (), raid=()) -> EngagementSnapshot:
    discovery = box("discovery", "phase", date(2026, 1, 5), 14, "closed")
    one = box("sprint-1", "sprint", date(2026, 2, 2), 14, "closed")
    two = box("sprint-2", "sprint", date(2026, 2, 16), 14, "closed")
    three = box("sprint-3", "sprint", date(2026, 3, 2), 14, "active")
    phases = (
        PhaseStatus("discovery", "Discovery", "Phase::Discovery", False, (discovery,), Tally()),
        PhaseStatus("sprinting", "Sprinting", "Phase::Sprinting", True, (one, two, three), Tally()),
    )
    return EngagementSnapshot(
        project=ProjectRef(7, "acme/portal", "Portal", "https://gitlab.example/acme/portal"),
        playbook="tool-adoption",
        taken_on=TODAY,
        phase="Sprinting",
        phases=phases,
        timeboxes=(discovery, one, two, three),
        workstreams=(),
        sprints=sprints,
        raid=raid,
        retro_actions=(),
        dora=None,
        # the work GitLab holds open: the last sprint's, once (what slipped moved into it)
        remaining=Progress(open=sprints[-1].committed - sprints[-1].done if sprints else 0),
    )


def sprint(key: str, state: str, committed: int, done: int, slipped: int = 0) -> SprintFigures:
    return SprintFigures(key, key.title(), state, committed, done, slipped, 0, 0, 0)


@pytest.mark.parametrize(
    ("gate", "phase", "state"),
    [
        (GateState("Discovery", "Readout", closed=True), "Discovery", "passed"),
        (GateState("Discovery", "Readout", closed=False), "Discovery", "overdue"),
        (GateState("Sprinting", "Go/no-go", closed=False), "Sprinting", "open"),
        (None, "Discovery", "passed"),
    ],
)
def test_a_gate_is_passed_open_or_overdue(gate, phase, state) -> None:
    reading = Reading(snapshot(), (gate,) if gate else ())
    status = next(p for p in reading.snapshot.phases if p.name == phase)
    assert gate_state(reading, status, TODAY) == state


def test_lanes_name_the_pilot_only_when_there_are_several() -> None:
    one = Reading(snapshot(), pilots=(("Discovery", "pilot-1"), ("Sprinting", "pilot-1")))
    two = Reading(snapshot(), pilots=(("Discovery", "pilot-1"), ("Sprinting", "pilot-2")))
    assert [lane.name for lane in lanes(one, TODAY)] == ["Discovery", "Sprinting"]
    assert [lane.name for lane in lanes(two, TODAY)] == [
        "Discovery (pilot-1)",
        "Sprinting (pilot-2)",
    ]


def test_the_schedule_signal_reads_the_reports_forecast() -> None:
    slow = (
        sprint("sprint-1", "closed", 10, 2, 8),
        sprint("sprint-2", "closed", 10, 2, 8),
        sprint("sprint-3", "active", 10, 0),
    )
    facts = health_facts(Reading(snapshot(slow)), 0, TODAY)
    assert facts.planned_finish == date(2026, 3, 15)
    assert facts.forecast_finish is not None and facts.forecast_finish > facts.planned_finish
    row = portfolio_row(
        Reading(snapshot(slow)),
        customer="Acme",
        playbook="tool-adoption",
        failed=0,
        today=TODAY,
        refreshed="now",
    )
    assert row.health == "red"
    assert "days after the plan (2026-03-15)" in row.summary


def rows() -> list:
    base = portfolio_row(
        Reading(snapshot()),
        customer="Acme",
        playbook="tool-adoption",
        failed=0,
        today=TODAY,
        refreshed="now",
    )
    return [
        base,
        replace(base, project_id=8, customer="Globex", health="red", playbook="transformation"),
        replace(base, project_id=9, customer="Initech", health="amber", phase="Discovery"),
    ]


@pytest.mark.parametrize(
    ("filters", "customers"),
    [
        (Filters(), ["Globex", "Initech", "Acme"]),
        (Filters(sort="customer"), ["Acme", "Globex", "Initech"]),
        (Filters(sort="customer", descending=True), ["Initech", "Globex", "Acme"]),
        (Filters(health="amber"), ["Initech"]),
        (Filters(playbook="transformation"), ["Globex"]),
        (Filters(phase="Sprinting", sort="customer"), ["Acme", "Globex"]),
    ],
)
def test_the_portfolio_filters_and_sorts(filters: Filters, customers: list[str]) -> None:
    view = portfolio_view(rows(), filters)
    assert [r.customer for r in view.rows] == customers
    assert view.total == 3
    assert view.counts == {"green": 1, "amber": 1, "red": 1, "closed": 0}


def test_sortable_headers_keep_the_filters() -> None:
    query = Filters(health="red", phase="Sprint 0").query(sort="customer", order="desc")
    assert query == "health=red&phase=Sprint%200&sort=customer&order=desc"


@pytest.mark.parametrize(
    ("asked", "returned"),
    [
        ("/engagements/7", "/engagements/7"),
        ("/?health=red", "/?health=red"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_sign_in_the_viewer_returns_only_to_this_service(asked, returned) -> None:
    assert _local(asked) == returned
