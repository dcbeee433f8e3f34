"""The weekly status's parts computed once for every way in (the periodic job, `/psdm report`,
`psdm-bot report`): the RAID items with their owners and dates, and the executive summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.engagement import kind_of
from bot.domain.figures import EngagementSnapshot
from bot.domain.health import Health, HealthFacts, OverdueGate, health
from bot.domain.metrics import EngagementMetrics
from bot.domain.model import LiveEngagement, LiveIssue
from bot.domain.raid import (
    RaidDetail,
    customer_facing,
    flagged,
    overdue_items,
    raid_details,
    top_risks,
)
from bot.playbook.blueprint import Blueprint


@dataclass(frozen=True)
class WeeklyParts:
    summary: ExecutiveSummary
    raid: tuple[RaidDetail, ...]


def weekly_parts(
    live: LiveEngagement,
    blueprint: Blueprint,
    snapshot: EngagementSnapshot,
    metrics: EngagementMetrics,
    today: date,
) -> WeeklyParts:
    raid = raid_details(blueprint, live.issues)
    planned = metrics.forecast.planned_end or max(
        (t.due_date for t in snapshot.timeboxes if t.due_date), default=None
    )
    summary = executive_summary(
        live, blueprint, snapshot, metrics.forecast.finish, planned, raid, today
    )
    return WeeklyParts(summary, raid)


# -- the executive summary the weekly status leads with -----------------------------------------

SOON_DAYS = 14
"""How far ahead a gate's sign-off is a decision to ask the customer for now."""
SHOWN = 8


@dataclass(frozen=True)
class ExecutiveSummary:
    """What an executive reads first: health and why, the week done, the week ahead, the
    decisions the customer owes, the top risks with owners (customer-facing items only)."""

    health: Health
    accomplished: tuple[str, ...]
    next_week: tuple[str, ...]
    decisions: tuple[str, ...]
    top_risks: tuple[RaidDetail, ...]
    flagged: tuple[RaidDetail, ...]
    """High-impact RAID items without an owner or a due date."""
    overdue: tuple[RaidDetail, ...]
    baseline_variance: str | None = None
    """The plan against its baseline (issue #18 computes it); None until it is known."""


GateRow = tuple[str, str, bool, date | None, date | None]
"""(phase name, gate title, passed, the phase's end, the day the gate issue closed)."""


def _gate_rows(live: LiveEngagement, blueprint: Blueprint) -> list[GateRow]:
    ends = {t.key: t.due_date for t in blueprint.timeboxes}
    rows = []
    for phase in blueprint.phases:
        if not phase.gate:
            continue
        issue = live.issue_by_key(phase.gate)
        due = max((d for k in phase.timeboxes if (d := ends.get(k))), default=None)
        title = issue.title if issue else phase.gate
        closed = issue.closed_on if issue and issue.closed else None
        rows.append((phase.name, title, bool(issue and issue.closed), due, closed))
    return rows


def _work(live: LiveEngagement, blueprint: Blueprint) -> list[LiveIssue]:
    planned = {i.key: i for i in blueprint.issues}
    return [i for i in live.issues if kind_of(i, planned.get(i.key or "")) == "work"]


def _named(issue: LiveIssue) -> str:
    return f"#{issue.iid} {issue.title}" + (f" (due {issue.due_date})" if issue.due_date else "")


def _capped(items: Sequence[LiveIssue], more: str) -> list[str]:
    shown = [_named(i) for i in items[:SHOWN]]
    if len(items) > SHOWN:
        shown.append(f"and {len(items) - SHOWN} more {more}")
    return shown


def _accomplished(work: Sequence[LiveIssue], gates: Sequence[GateRow], today: date) -> list[str]:
    since = today - timedelta(days=6)
    done = [i for i in work if i.closed and i.closed_on and since <= i.closed_on <= today]
    found = _capped(done, "work items")
    found += [
        f"Gate passed: {title} ({name})"
        for name, title, passed, _, closed in gates
        if passed and closed and since <= closed <= today
    ]
    return found


def _next_week(
    live: LiveEngagement, snapshot: EngagementSnapshot, work: Sequence[LiveIssue], today: date
) -> list[str]:
    ahead = today + timedelta(days=7)
    box = snapshot.current_timebox
    box_id = next((m.id for m in live.milestones if box and m.key == box.key), None)

    def soon(issue: LiveIssue) -> bool:
        in_box = box_id is not None and issue.milestone_id == box_id
        return in_box or (issue.due_date is not None and issue.due_date <= ahead)

    upcoming = [i for i in work if not i.closed and soon(i)]
    found = _capped(upcoming, f"open work items in {box.title if box else 'the plan'}")
    following = snapshot.next_timebox
    if following and following.start_date and following.start_date <= ahead:
        found.append(f"{following.title} starts {following.start_date}")
    return found


def _decisions(shown: Sequence[RaidDetail], gates: Sequence[GateRow], today: date) -> list[str]:
    found = [
        f"#{d.iid} {d.title}" + (f" (by {d.fields.due})" if d.fields.due else "")
        for d in shown
        if d.kind == "Decision"
    ]
    found += [
        f"Sign-off: {title} ({name}), due {due}"
        for name, title, passed, due, _ in gates
        if not passed and due and today <= due <= today + timedelta(days=SOON_DAYS)
    ]
    return found


def executive_summary(
    live: LiveEngagement,
    blueprint: Blueprint,
    snapshot: EngagementSnapshot,
    forecast_finish: date | None,
    planned_finish: date | None,
    raid: Sequence[RaidDetail],
    today: date,
) -> ExecutiveSummary:
    """The summary of the week ending `today`, from the figures every view reads."""
    shown = customer_facing(raid)
    gates = _gate_rows(live, blueprint)
    late = tuple(
        OverdueGate(name, due)
        for name, _, passed, due, _ in gates
        if not passed and due and due < today
    )
    facts = HealthFacts(
        today=today,
        planned_finish=planned_finish,
        forecast_finish=forecast_finish,
        high_raid=sum(1 for d in shown if d.severity == "High"),
        overdue_gates=late,
        failed_workflows=0,  # the bot's own troubles are the PS team's, not the status's
        overdue_raid=len(overdue_items(shown, today)),
    )
    work = _work(live, blueprint)
    return ExecutiveSummary(
        health=health(facts),
        accomplished=tuple(_accomplished(work, gates, today)),
        next_week=tuple(_next_week(live, snapshot, work, today)),
        decisions=tuple(_decisions(shown, gates, today)),
        top_risks=top_risks(shown),
        flagged=flagged(shown),
        overdue=overdue_items(shown, today),
    )
