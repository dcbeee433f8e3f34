"""An engagement's health: green, amber or red, by one rule, with the reasons in words.

The rule (docs/report.md, "Portfolio"), from five signals a program manager acts on:

| signal | amber | red |
|---|---|---|
| schedule: forecast finish against plan | later than planned | more than 14 days later |
| open high-priority RAID items | 1 or 2 | 3 or more |
| gates past their phase's end and still open | overdue up to 7 days | overdue more than 7 days |
| open RAID items past their due date | 1 or 2 | 3 or more |
| failed workflows (the bot could not do its work) | 1 or more | - |

The worst signal wins; an engagement whose acceptance sign-off passed is `closed`, with its
closing date, whatever the signals said before. No forecast yet (no sprint finished) is no
reason for concern: the schedule signal then says so and counts as green.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Status = Literal["green", "amber", "red", "closed"]
ORDER: dict[Status, int] = {"closed": -1, "green": 0, "amber": 1, "red": 2}

SLIP_RED_DAYS = 14
HIGH_RAID_RED = 3
GATE_RED_DAYS = 7
OVERDUE_RAID_RED = 3


@dataclass(frozen=True)
class OverdueGate:
    phase: str
    due: date


@dataclass(frozen=True)
class HealthFacts:
    """What the rule reads; every view computes it from the one figures function."""

    today: date
    planned_finish: date | None
    forecast_finish: date | None
    high_raid: int
    overdue_gates: tuple[OverdueGate, ...]
    failed_workflows: int
    overdue_raid: int = 0
    """Open RAID items past their due date."""
    closed_on: date | None = None
    """The day the engagement's acceptance sign-off passed: a closed engagement is neither
    late nor at risk any more."""


@dataclass(frozen=True)
class Reason:
    status: Status
    text: str


@dataclass(frozen=True)
class Health:
    status: Status
    reasons: tuple[Reason, ...]
    """Every signal's verdict, the worst first."""

    @property
    def summary(self) -> str:
        """The reasons that made the status, one line (all of them when green)."""
        shown = [r.text for r in self.reasons if r.status == self.status]
        return "; ".join(shown)


def _schedule(facts: HealthFacts) -> Reason:
    plan, forecast = facts.planned_finish, facts.forecast_finish
    if plan is None:
        return Reason("green", "no planned finish (no dated time-box)")
    if forecast is None:
        return Reason("green", f"planned finish {plan}; no forecast before a sprint finishes")
    slip = (forecast - plan).days
    if slip <= 0:
        return Reason("green", f"forecast finish {forecast} is on or before the plan ({plan})")
    text = f"forecast finish {forecast} is {slip} days after the plan ({plan})"
    return Reason("red" if slip > SLIP_RED_DAYS else "amber", text)


def _raid(facts: HealthFacts) -> Reason:
    count = facts.high_raid
    if count == 0:
        return Reason("green", "no open high-priority RAID item")
    text = f"{count} open high-priority RAID item{'s' if count > 1 else ''}"
    return Reason("red" if count >= HIGH_RAID_RED else "amber", text)


def _gates(facts: HealthFacts) -> Reason:
    if not facts.overdue_gates:
        return Reason("green", "no overdue gate")
    late = max(facts.overdue_gates, key=lambda g: (facts.today - g.due).days)
    days = (facts.today - late.due).days
    names = ", ".join(g.phase for g in facts.overdue_gates)
    text = f"gate overdue: {names} (the latest {days} days past {late.due})"
    return Reason("red" if days > GATE_RED_DAYS else "amber", text)


def _overdue_raid(facts: HealthFacts) -> Reason:
    count = facts.overdue_raid
    if count == 0:
        return Reason("green", "no RAID item past its due date")
    text = f"{count} RAID item(s) past the due date"
    return Reason("red" if count >= OVERDUE_RAID_RED else "amber", text)


def _workflows(facts: HealthFacts) -> Reason:
    count = facts.failed_workflows
    if count == 0:
        return Reason("green", "no failed workflow")
    return Reason("amber", f"{count} failed workflow{'s' if count > 1 else ''}")


def health(facts: HealthFacts) -> Health:
    """The engagement's health by the rule above; a closed engagement is `closed`."""
    if facts.closed_on is not None:
        return Health("closed", (Reason("closed", f"closed on {facts.closed_on}"),))
    reasons = [_schedule(facts), _raid(facts), _overdue_raid(facts), _gates(facts)]
    reasons.append(_workflows(facts))
    ranked = sorted(reasons, key=lambda r: -ORDER[r.status])
    return Health(ranked[0].status, tuple(ranked))
