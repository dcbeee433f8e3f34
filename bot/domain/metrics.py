"""Metrics that drive decisions: flow times, velocity and forecast, adoption KPIs, DORA rates.

Flow times come from GitLab's resource events, never from the issue's current fields alone:
lead time runs from the issue's creation to its last close, cycle time from the first time a
"started" workflow label was added (In Progress, Blocked: any workflow label but the first and
Done) to that close. An issue reopened and closed again counts from its last close. An issue
that never carried a started label has a lead time but no cycle time (inferred: the team did
not mark when it began). Only work counts; ceremonies and governance have no flow.
docs/metrics.md has the definitions for users.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from bot.domain.budget import Budget, Timelog, engagement_budget
from bot.domain.engagement import (
    BOT_GOVERNANCE_KEYS,
    CEREMONY_LABEL,
    kind_of,
    on_raid_log,
    planned_kind,
    workflow_labels,
)
from bot.domain.figures import FORECAST_WINDOW, EngagementSnapshot, velocity
from bot.domain.model import LiveEngagement
from bot.domain.weekly import (
    LabelledWork,
    OutcomeProgress,
    engagement_span,
    outcome_progress,
    stated_outcomes,
)
from bot.playbook.blueprint import Blueprint, IssueKind

DAY = 86400.0

KPIS = ("Users Onboarded", "Repositories Migrated", "Pipelines Converted", "Scanners Retired")
KPI_LABEL_PREFIX = "KPI::"
"""The playbooks' KPI labels (`KPI::Repositories Migrated`): an issue with one keeps one
task-list line per unit, ticked when that unit is done."""
_TASK = re.compile(r"^\s*[-*+] \[([ xX])\]", re.MULTILINE)


@dataclass(frozen=True)
class StateEvent:
    """GitLab's resource state event (`GL:doc/api/resource_state_events.md`)."""

    at: datetime
    state: Literal["opened", "closed", "reopened"]


@dataclass(frozen=True)
class LabelEvent:
    """GitLab's resource label event (`GL:doc/api/resource_label_events.md`)."""

    at: datetime
    label: str
    action: Literal["add", "remove"]


@dataclass(frozen=True)
class MilestoneEvent:
    """GitLab's resource milestone event (`GL:doc/api/resource_milestone_events.md`)."""

    at: datetime
    milestone: str
    action: Literal["add", "remove"]


@dataclass(frozen=True)
class WeightEvent:
    """GitLab's resource weight event (`GL:doc/api/resource_weight_events.md`)."""

    at: datetime
    weight: int | None


@dataclass(frozen=True)
class IssueHistory:
    """One issue with its events: what flow metrics read."""

    iid: int
    created_at: datetime
    kind: IssueKind = "work"
    workstream: str | None = None
    milestone: str | None = None
    """The milestone it carries now (title); events say which it had when it closed."""
    closed_at: datetime | None = None
    """GitLab's `closed_at`, used only when no state event says when it closed."""
    weight: int | None = None
    states: tuple[StateEvent, ...] = ()
    labels: tuple[LabelEvent, ...] = ()
    milestones: tuple[MilestoneEvent, ...] = ()
    weights: tuple[WeightEvent, ...] = ()


@dataclass(frozen=True)
class Durations:
    """Days, over the items that have them."""

    count: int = 0
    median: float | None = None
    mean: float | None = None

    @classmethod
    def of(cls, days: Sequence[float]) -> Durations:
        if not days:
            return cls()
        return cls(len(days), round(statistics.median(days), 1), round(statistics.fmean(days), 1))

    def text(self) -> str:
        if not self.count:
            return "no data"
        return f"median {self.median:g} d, mean {self.mean:g} d over {self.count}"


@dataclass(frozen=True)
class Flow:
    """Cycle and lead time of one group of work items (a workstream, a sprint, or all)."""

    cycle: Durations = Durations()
    lead: Durations = Durations()
    without_start: int = 0
    """Closed items with no started label: in lead time, not in cycle time."""


@dataclass(frozen=True)
class FlowMetrics:
    overall: Flow
    by_workstream: Mapping[str, Flow] = field(default_factory=dict)
    by_sprint: Mapping[str, Flow] = field(default_factory=dict)


def started_labels(workflow: Sequence[str]) -> frozenset[str]:
    """The workflow labels that mean work began: all but the first (not started) and Done."""
    return frozenset(name for name in workflow[1:] if not name.endswith("::Done"))


def closed_at(history: IssueHistory) -> datetime | None:
    """When the issue last closed, if it is closed now (from its state events first)."""
    if history.states:
        last = max(history.states, key=lambda e: e.at)
        return last.at if last.state == "closed" else None
    return history.closed_at


def started_at(history: IssueHistory, started: frozenset[str]) -> datetime | None:
    added = [e.at for e in history.labels if e.action == "add" and e.label in started]
    return min(added) if added else None


def milestone_at(history: IssueHistory, moment: datetime) -> str | None:
    """The milestone the issue carried at `moment`, replaying its milestone events."""
    if not history.milestones:
        return history.milestone
    current: str | None = None
    for event in sorted(history.milestones, key=lambda e: e.at):
        if event.at > moment:
            break
        if event.action == "add":
            current = event.milestone
        elif current == event.milestone:
            current = None
    return current


def weight_at(history: IssueHistory, moment: datetime) -> int | None:
    """The weight the issue carried at `moment` (its weight now when no event says otherwise)."""
    before = [e for e in history.weights if e.at <= moment]
    return max(before, key=lambda e: e.at).weight if before else history.weight


def _days(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0) / DAY


@dataclass(frozen=True)
class _Timed:
    history: IssueHistory
    closed: datetime
    lead: float
    cycle: float | None


def _flow(items: Iterable[_Timed]) -> Flow:
    items = list(items)
    cycles = [i.cycle for i in items if i.cycle is not None]
    return Flow(
        cycle=Durations.of(cycles),
        lead=Durations.of([i.lead for i in items]),
        without_start=sum(1 for i in items if i.cycle is None),
    )


def flow_metrics(histories: Iterable[IssueHistory], workflow: Sequence[str]) -> FlowMetrics:
    """Cycle and lead time of the closed work items, overall, per workstream and per sprint.

    An item counts in the sprint whose milestone it carried when it closed.
    """
    started = started_labels(workflow)
    timed: list[_Timed] = []
    for history in histories:
        end = closed_at(history)
        if history.kind != "work" or end is None:
            continue
        begin = started_at(history, started)
        cycle = _days(begin, end) if begin is not None and begin <= end else None
        timed.append(_Timed(history, end, _days(history.created_at, end), cycle))
    by_stream: dict[str, list[_Timed]] = {}
    by_sprint: dict[str, list[_Timed]] = {}
    for item in timed:
        if item.history.workstream:
            by_stream.setdefault(item.history.workstream, []).append(item)
        sprint = milestone_at(item.history, item.closed)
        if sprint:
            by_sprint.setdefault(sprint, []).append(item)
    return FlowMetrics(
        overall=_flow(timed),
        by_workstream={name: _flow(items) for name, items in sorted(by_stream.items())},
        by_sprint={name: _flow(items) for name, items in by_sprint.items()},
    )


# -- velocity and forecast ---------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """When the remaining work ends at the recent pace, against the planned end."""

    velocity: float | None
    remaining: float
    sprints_needed: int | None
    finish: date | None
    planned_end: date | None
    reason: str = ""
    """Why there is no finish date, when there is none."""

    @property
    def slip_days(self) -> int | None:
        if self.finish is None or self.planned_end is None:
            return None
        return (self.finish - self.planned_end).days

    def text(self, unit: str) -> str:
        if self.finish is None:
            return f"Forecast: {self.reason}."
        line = (
            f"Forecast: {self.remaining:g} {unit} left at {self.velocity:g} {unit} per sprint "
            f"is {self.sprints_needed} more sprint(s), finishing {self.finish}"
        )
        slip = self.slip_days
        if slip is None:
            return line + "."
        if slip > 0:
            return line + f", {slip} days after the planned end {self.planned_end}."
        if slip < 0:
            return line + f", {-slip} days before the planned end {self.planned_end}."
        return line + f", on the planned end {self.planned_end}."


def forecast(
    done_per_sprint: Sequence[float],
    remaining: float,
    last_finished_end: date | None,
    sprint_days: int,
    planned_end: date | None,
    window: int = FORECAST_WINDOW,
) -> Forecast:
    """Finish date = end of the last finished sprint + sprints needed at the recent velocity.

    Sprints needed rounds up: a sprint half used is still a sprint on the calendar.
    """
    pace = velocity(done_per_sprint, window)
    if remaining <= 0:
        return Forecast(pace, 0, 0, last_finished_end, planned_end, "nothing left to do")
    if pace is None or last_finished_end is None:
        return Forecast(pace, remaining, None, None, planned_end, "no sprint has finished yet")
    if pace <= 0:
        return Forecast(
            pace, remaining, None, None, planned_end, "no work was done in recent sprints"
        )
    needed = math.ceil(remaining / pace)
    finish = last_finished_end + timedelta(days=needed * sprint_days)
    return Forecast(pace, remaining, needed, finish, planned_end)


def weighted_sprints(snapshot: EngagementSnapshot) -> bool:
    """Forecast in weight once any sprint work item carries one (the others count
    `default_weight`), else in work items."""
    return snapshot.weighted


def forecast_of(snapshot: EngagementSnapshot) -> Forecast:
    """The engagement's forecast from its figures, in the snapshot's velocity unit.

    Remaining work is the sprint work GitLab holds open, each item once wherever it has slipped
    to; the velocity is the snapshot's one velocity (the recent finished sprints). The planned
    end is the last sprint's due date; a sprint's length is the last finished sprint's (of
    those that held work).
    """
    weighted = snapshot.weighted
    boxes = {t.key: t for t in snapshot.timeboxes}
    finished = [s for s in snapshot.sprints if s.paced]
    left = snapshot.remaining
    remaining = left.weight_open if weighted else left.open
    planned = [boxes[s.key].due_date for s in snapshot.sprints if s.key in boxes]
    planned_end = max((d for d in planned if d), default=None)
    last = boxes.get(finished[-1].key) if finished else None
    end = last.due_date if last else None
    length = 14
    if last and last.start_date and end:
        length = (end - last.start_date).days + 1
    return forecast([s.velocity for s in finished], remaining, end, length, planned_end)


# -- adoption KPIs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiItem:
    """An issue that may track a KPI: its labels, its description's task list, its milestone."""

    labels: tuple[str, ...] = ()
    description: str = ""
    milestone: str | None = None


@dataclass(frozen=True)
class Count:
    """Units done (ticked lines) of units planned (all lines)."""

    done: int = 0
    planned: int = 0

    def __add__(self, other: Count) -> Count:
        return Count(self.done + other.done, self.planned + other.planned)

    def text(self) -> str:
        return f"{self.done} of {self.planned}"


@dataclass(frozen=True)
class KpiTotals:
    totals: Mapping[str, Count]
    by_milestone: Mapping[str, Mapping[str, Count]]
    """Per milestone (a wave) title: each KPI tracked there."""

    @property
    def any(self) -> bool:
        return any(c.planned or c.done for c in self.totals.values())


def task_lines(description: str) -> Count:
    """The task-list lines of a description: ticked (`- [x]`) of all."""
    done = planned = 0
    for found in _TASK.finditer(description or ""):
        planned += 1
        done += found[1].lower() == "x"
    return Count(done, planned)


def kpi_totals(items: Iterable[KpiItem]) -> KpiTotals:
    """Each KPI summed over the issues labelled `KPI::<name>`: one task-list line per unit
    (user, repository, pipeline, scanner), ticked when done; open or closed issue alike."""
    totals = dict.fromkeys(KPIS, Count())
    by_milestone: dict[str, dict[str, Count]] = {}
    for item in items:
        for kpi in KPIS:
            if KPI_LABEL_PREFIX + kpi not in item.labels:
                continue
            lines = task_lines(item.description)
            totals[kpi] += lines
            if item.milestone:
                wave = by_milestone.setdefault(item.milestone, {})
                wave[kpi] = wave.get(kpi, Count()) + lines
    return KpiTotals(totals, by_milestone)


# -- DORA --------------------------------------------------------------------------------------


def deployments_per_day(total: float | None, start: date, end: date) -> float | None:
    """GitLab's `deployment_frequency` is the total in the period (`GL:doc/api/dora/metrics.md`,
    "the total number of successful deployments"); a rate divides by the period's days."""
    if total is None:
        return None
    days = (end - start).days + 1
    return round(total / days, 2) if days > 0 else None


# -- the engagement's metrics, as the report and `/psdm status` show them -----------------------


@dataclass(frozen=True)
class EngagementMetrics:
    """Every metric of one engagement on one day, computed once for every view."""

    forecast: Forecast
    unit: str
    kpis: KpiTotals
    outcomes: tuple[OutcomeProgress, ...]
    budget: Budget | None
    flow: FlowMetrics | None = None
    """Only when the resource events were read (the weekly report; `/psdm status` skips them)."""


def engagement_metrics(
    live: LiveEngagement,
    blueprint: Blueprint,
    snapshot: EngagementSnapshot,
    histories: Sequence[IssueHistory] | None = None,
) -> EngagementMetrics:
    planned = {i.key: i for i in blueprint.issues}
    titles = {m.id: m.title for m in live.milestones}
    kpis = kpi_totals(
        KpiItem(i.labels, i.description, titles.get(i.milestone_id or -1)) for i in live.issues
    )
    work = [
        LabelledWork(i.closed, i.labels)
        for i in live.issues
        if kind_of(i, planned.get(i.key or "")) == "work"
    ]
    counts = {name: (c.done, c.planned) for name, c in kpis.totals.items()}
    span = engagement_span(blueprint)
    spent = sum(i.time_spent for i in live.issues)
    flow = None
    if histories is not None:
        flow = flow_metrics(histories, workflow_labels(blueprint))
    return EngagementMetrics(
        forecast=forecast_of(snapshot),
        unit="weight" if weighted_sprints(snapshot) else "issues",
        kpis=kpis,
        outcomes=outcome_progress(stated_outcomes(blueprint.variables), counts, work),
        budget=engagement_budget(
            blueprint.variables,
            [Timelog(t.username, t.issue_iid, t.seconds, t.spent_on) for t in live.timelogs or ()],
            spent,
            span,
            snapshot.taken_on,
            _work_done_percent(snapshot),
        ),
        flow=flow,
    )


def _work_done_percent(snapshot: EngagementSnapshot) -> int | None:
    """How much of the engagement's work is done, in work items (weights are seldom on every
    item, and an unweighted item done would count for nothing)."""
    work = snapshot.totals.work
    return work.percent if work.total else None


def flow_item(
    blueprint: Blueprint, key: str | None, labels: Sequence[str]
) -> tuple[bool, str | None]:
    """Whether an issue's flow counts (work only), and its workstream's title: the planned
    epic when that is a workstream's, else the workstream whose label the issue carries."""
    planned = next((i for i in blueprint.issues if key and i.key == key), None)
    if planned is not None:
        work = planned_kind(planned) == "work"
    else:
        bot_made = (key or "").startswith(BOT_GOVERNANCE_KEYS)
        work = not bot_made and not on_raid_log(labels) and CEREMONY_LABEL not in labels
    if not work:
        return False, None
    streams = [e for e in blueprint.epics if e.workstream]
    found = next((e for e in streams if planned and e.key == planned.epic), None)
    found = found or next((e for e in streams if set(e.labels) & set(labels)), None)
    return True, found.title if found else None
