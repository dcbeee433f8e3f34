"""What the dashboard's pages show, as plain data: the portfolio rows and one engagement's page.

Pure: the service hands in the stored snapshot, the engagement's recorded workflows and
today's date; the templates only lay the result out. The figures come from the snapshot the
report and `/psdm status` read, and the health from `bot.domain.health`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from bot.domain.budget import Budget
from bot.domain.figures import EngagementSnapshot, PhaseStatus, WorkstreamStatus
from bot.domain.health import ORDER, HealthFacts, OverdueGate, Status, health
from bot.domain.metrics import Durations, Forecast, forecast_of
from bot.domain.raid import RaidDetail, customer_facing, overdue_items
from bot.report.charts import Bar, Gate, Lane, Measure, SprintPoint, bars, burnup, timeline

SORTS = ("health", "customer", "phase", "playbook", "timebox")
FORECAST_SPRINTS = 6


@dataclass(frozen=True)
class PortfolioRow:
    """One engagement on the portfolio, kept in the snapshot store as it is shown."""

    project_id: int
    path: str
    customer: str
    web_url: str
    playbook: str
    phase: str | None
    phase_position: int
    timebox: str | None
    timebox_dates: str
    timebox_state: str | None
    health: Status
    reasons: tuple[str, ...]
    """Every signal's verdict, worst first (the hover text and the text under the row)."""
    summary: str
    progress: int
    refreshed: str
    problem: str | None = None
    program: str = ""
    """The program the engagement belongs to: its `program` variable, else its group."""
    owners: tuple[tuple[str, str], ...] = ()
    """(role title, `@people`) for the roles the engagement names."""
    next_gate: str | None = None
    next_gate_due: date | None = None
    budget: str | None = None
    """Burned share of the budget and its warnings (internal)."""
    budget_warning: bool = False
    closed: bool = False
    """The engagement's last gate is passed: shown apart from the running ones."""


@dataclass(frozen=True)
class Activity:
    """A delivery's workflow as the service recorded it for one engagement."""

    key: str
    project_id: int | None
    kind: str
    action: str
    received: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status in FAILED


FAILED = frozenset({"ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "RETRIES_EXCEEDED", "CANCELLED"})


@dataclass(frozen=True)
class GateState:
    """A phase's gate issue as GitLab holds it (None fields: the playbook names no gate)."""

    phase: str
    title: str | None = None
    closed: bool = False
    web_url: str | None = None


@dataclass(frozen=True)
class FlowRow:
    """Cycle and lead time of one workstream's closed work (bot.domain.metrics.flow_metrics)."""

    name: str
    cycle: Durations
    lead: Durations
    without_start: int = 0


@dataclass(frozen=True)
class Outcome:
    name: str
    done: int | None
    of: int | None
    how: str

    @property
    def percent(self) -> int | None:
        return (
            min(round(100 * self.done / self.of), 100)
            if self.done is not None and self.of
            else None
        )


@dataclass(frozen=True)
class BudgetView:
    """The budget as the internal view shows it (bot.domain.budget computes it)."""

    text: str
    burned_percent: int
    estimate_at_completion: float | None = None
    warnings: tuple[str, ...] = ()
    by_role: tuple[tuple[str, float], ...] = ()
    """(role title, hours)."""
    money: str = ""


@dataclass(frozen=True)
class Reading:
    """One read of an engagement: its figures, its gates and its flow times."""

    snapshot: EngagementSnapshot
    gates: tuple[GateState, ...] = ()
    flow: tuple[FlowRow, ...] = ()
    pilots: tuple[tuple[str, str], ...] = ()
    """(phase name, MVP pilot) for the phases that belong to a pilot."""
    outcomes: tuple[Outcome, ...] = ()
    """The business outcomes and adoption KPIs, as the weekly report states them."""
    budget: str | None = None
    """The budget's line (internal); `budget_view` holds the rest."""
    budget_view: BudgetView | None = None
    raid: tuple[RaidDetail, ...] | None = None
    """The open RAID items with owner, due date and whether they are internal (None: an
    older reading without them; the snapshot's plain list stands in)."""
    program: str = ""
    owners: tuple[tuple[str, str], ...] = ()

    def lane_name(self, phase: str) -> str:
        """The phase's name, with its pilot's where the engagement runs several pilots."""
        pilots = dict(self.pilots)
        several = len(set(pilots.values())) > 1
        return f"{phase} ({pilots[phase]})" if several and phase in pilots else phase


def budget_view(budget: Budget) -> BudgetView:
    return BudgetView(
        text=budget.text(),
        burned_percent=budget.burned_percent,
        estimate_at_completion=budget.estimate_at_completion,
        warnings=budget.warnings,
        by_role=tuple((r.title, r.hours) for r in budget.by_role),
        money=budget.money(),
    )


def _gate_of(reading: Reading, phase: PhaseStatus) -> GateState:
    return next((g for g in reading.gates if g.phase == phase.name), GateState(phase.name))


def gate_state(reading: Reading, phase: PhaseStatus, today: date) -> str:
    """passed, open or overdue: the gate issue decides; without one, the phase's time-boxes."""
    gate = _gate_of(reading, phase)
    passed = gate.closed if gate.title is not None else phase.done
    if passed:
        return "passed"
    return "overdue" if phase.due_date is not None and phase.due_date < today else "open"


def overdue_gates(reading: Reading, today: date) -> tuple[OverdueGate, ...]:
    """Gates still open after their phase's end."""
    return tuple(
        OverdueGate(p.name, p.due_date)
        for p in reading.snapshot.phases
        if p.due_date is not None and gate_state(reading, p, today) == "overdue"
    )


def planned_finish(snapshot: EngagementSnapshot) -> date | None:
    return max((t.due_date for t in snapshot.timeboxes if t.due_date), default=None)


def health_facts(reading: Reading, failed: int, today: date) -> HealthFacts:
    """The health rule's inputs, from the same figures and forecast the report shows."""
    snapshot = reading.snapshot
    outlook = forecast_of(snapshot)
    high = sum(1 for item in snapshot.raid if item.severity == "High")
    return HealthFacts(
        today=today,
        planned_finish=outlook.planned_end or planned_finish(snapshot),
        forecast_finish=outlook.finish,
        high_raid=high,
        overdue_gates=overdue_gates(reading, today),
        failed_workflows=failed,
        overdue_raid=len(overdue_items(reading.raid or (), today)),
        closed_on=snapshot.closed_on,
    )


def _dates(start: date | None, end: date | None) -> str:
    if start and end:
        return f"{start} to {end}"
    return f"until {end}" if end else "no dates"


def portfolio_row(
    reading: Reading,
    *,
    customer: str,
    playbook: str,
    failed: int,
    today: date,
    refreshed: str,
) -> PortfolioRow:
    snapshot = reading.snapshot
    verdict = health(health_facts(reading, failed, today))
    upcoming = next_gate(reading, today)
    box = snapshot.current_timebox
    names = [p.name for p in snapshot.phases]
    # every work item of the engagement once, wherever it sits (bot/domain/figures.py)
    closed, total = snapshot.totals.work.closed, snapshot.totals.work.total
    return PortfolioRow(
        project_id=snapshot.project.id,
        path=snapshot.project.path,
        customer=customer or snapshot.project.name,
        web_url=snapshot.project.web_url,
        playbook=playbook,
        phase=snapshot.phase,
        phase_position=names.index(snapshot.phase) + 1 if snapshot.phase in names else 0,
        timebox=box.title if box else None,
        timebox_dates=_dates(box.start_date, box.due_date) if box else "",
        timebox_state=box.state if box else None,
        health=verdict.status,
        reasons=tuple(f"{r.status}: {r.text}" for r in verdict.reasons),
        summary=verdict.summary,
        progress=round(100 * closed / total) if total else 0,
        refreshed=refreshed,
        program=reading.program or _group_of(snapshot.project.path),
        owners=reading.owners,
        next_gate=upcoming[0] if upcoming else None,
        next_gate_due=upcoming[1] if upcoming else None,
        budget=_budget_cell(reading.budget_view),
        budget_warning=bool(reading.budget_view and reading.budget_view.warnings),
        closed=bool(snapshot.phases)
        and not upcoming
        and all(gate_state(reading, p, today) == "passed" for p in snapshot.phases),
    )


def _group_of(path: str) -> str:
    return path.rpartition("/")[0] or path


def _budget_cell(view: BudgetView | None) -> str | None:
    if view is None:
        return None
    text = f"{view.burned_percent}% burned"
    if view.estimate_at_completion is not None:
        text += f", EAC {view.estimate_at_completion:g} h"
    return text


def next_gate(reading: Reading, today: date) -> tuple[str, date | None] | None:
    """The first gate not yet passed, in phase order, with its phase's end."""
    for phase in reading.snapshot.phases:
        gate = _gate_of(reading, phase)
        if gate_state(reading, phase, today) == "passed":
            continue
        return f"{gate.title or 'Gate of ' + phase.name} ({phase.name})", phase.due_date
    return None


def unreadable_row(
    project_id: int, path: str, customer: str, playbook: str, problem: str, refreshed: str
) -> PortfolioRow:
    """An engagement the bot could not read: shown red with the reason, never hidden."""
    return PortfolioRow(
        project_id, path, customer or path, "", playbook, None, 0, None, "", None, "red",
        (f"red: {problem}",), problem, 0, refreshed, problem,
    )  # fmt: skip


@dataclass(frozen=True)
class Filters:
    health: str = ""
    phase: str = ""
    playbook: str = ""
    sort: str = "health"
    descending: bool = False

    def query(self, **change: str) -> str:
        """This view's query string with `change` applied (links of sortable headers)."""
        values = {
            "health": self.health,
            "phase": self.phase,
            "playbook": self.playbook,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
            **change,
        }
        return "&".join(f"{k}={_quote(v)}" for k, v in values.items() if v)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@dataclass(frozen=True)
class Rollup:
    """Engagements grouped by customer or by program, as a program manager reads them."""

    name: str
    engagements: int
    closed: int
    health: dict[str, int]
    members: tuple[str, ...]
    """The customers of a program, or the programs of a customer."""
    next_gate: str | None = None
    next_gate_due: date | None = None
    budget_warnings: int = 0


@dataclass(frozen=True)
class PortfolioView:
    rows: tuple[PortfolioRow, ...]
    total: int
    filters: Filters
    phases: tuple[str, ...]
    playbooks: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    closed: tuple[PortfolioRow, ...] = ()
    """Engagements whose last gate is passed, apart from the running ones."""
    by_customer: tuple[Rollup, ...] = ()
    by_program: tuple[Rollup, ...] = ()


def rollups(rows: Sequence[PortfolioRow], by: str) -> tuple[Rollup, ...]:
    """One line per customer (`by="customer"`) or program, running engagements' next gate."""
    groups: dict[str, list[PortfolioRow]] = {}
    for row in rows:
        groups.setdefault(getattr(row, by) or "(none)", []).append(row)
    other = "program" if by == "customer" else "customer"
    found = []
    for name in sorted(groups, key=str.lower):
        members = groups[name]
        running = [r for r in members if not r.closed]
        dated = [r for r in running if r.next_gate and r.next_gate_due]
        dated.sort(key=lambda r: r.next_gate_due or date.max)
        soonest = dated[0] if dated else None
        found.append(
            Rollup(
                name=name,
                engagements=len(members),
                closed=len(members) - len(running),
                health={s: sum(1 for r in running if r.health == s) for s in ORDER},
                members=tuple(sorted({getattr(r, other) for r in members if getattr(r, other)})),
                next_gate=f"{soonest.customer}: {soonest.next_gate}" if soonest else None,
                next_gate_due=soonest.next_gate_due if soonest else None,
                budget_warnings=sum(1 for r in running if r.budget_warning),
            )
        )
    return tuple(found)


def _sort_key(sort: str):  # type: ignore[no-untyped-def]
    keys = {
        "health": lambda r: (-ORDER[r.health], r.customer.lower()),
        "customer": lambda r: (r.customer.lower(), r.path),
        "phase": lambda r: (r.phase_position, r.customer.lower()),
        "playbook": lambda r: (r.playbook, r.customer.lower()),
        "timebox": lambda r: (r.timebox or "", r.customer.lower()),
    }
    return keys.get(sort, keys["health"])


def portfolio_view(rows: Iterable[PortfolioRow], filters: Filters) -> PortfolioView:
    """The rows the viewer may read, filtered and sorted as the query asks."""
    every = list(rows)
    shown = [
        r
        for r in every
        if (not filters.health or r.health == filters.health)
        and (not filters.phase or (r.phase or "") == filters.phase)
        and (not filters.playbook or r.playbook == filters.playbook)
    ]
    shown.sort(key=_sort_key(filters.sort), reverse=filters.descending)
    running = [r for r in every if not r.closed]
    counts: dict[str, int] = {
        status: sum(1 for r in running if r.health == status) for status in ORDER
    }
    return PortfolioView(
        tuple(r for r in shown if not r.closed),
        len(every),
        filters,
        tuple(sorted({r.phase for r in every if r.phase})),
        tuple(sorted({r.playbook for r in every})),
        counts,
        closed=tuple(r for r in shown if r.closed),
        by_customer=rollups(every, "customer"),
        by_program=rollups(every, "program"),
    )


# -- one engagement --------------------------------------------------------------------------


@dataclass(frozen=True)
class RaidRow:
    """An open RAID item as the engagement page lists it."""

    iid: int
    title: str
    kind: str
    severity: str | None
    escalated: bool
    web_url: str | None = None
    owner: str | None = None
    due: date | None = None
    flag: str = ""
    """Why it needs attention: no owner or due date on a high-impact item, or overdue."""


@dataclass(frozen=True)
class RaidGroup:
    kind: str
    counts: dict[str, int]
    items: tuple[RaidRow, ...]


@dataclass(frozen=True)
class PhaseRow:
    phase: PhaseStatus
    gate: GateState
    gate_state: str


@dataclass(frozen=True)
class EngagementView:
    row: PortfolioRow
    reading: Reading
    snapshot: EngagementSnapshot
    phases: tuple[PhaseRow, ...]
    workstreams: tuple[tuple[WorkstreamStatus, FlowRow | None], ...]
    timeline: Markup
    burnup: Markup
    velocity: Markup
    durations: Markup
    forecast: str
    raid: tuple[RaidGroup, ...]
    retro_actions: tuple[tuple[str, str, str], ...]
    """(action text, issue title, issue link)."""
    activity: tuple[Activity, ...]
    """Failures first, then the rest, newest first within each."""
    failed: int
    today: date

    @property
    def raid_count(self) -> int:
        return sum(len(group.items) for group in self.raid)


def _gate(reading: Reading, phase: PhaseStatus, today: date) -> Gate | None:
    if phase.due_date is None:
        return None
    gate = _gate_of(reading, phase)
    href = gate.web_url or (phase.timeboxes[-1].web_url if phase.timeboxes else None)
    label = f"Gate of {phase.name}" + (f" ({gate.title})" if gate.title else "")
    return Gate(label, phase.due_date, gate_state(reading, phase, today), href)


def lanes(reading: Reading, today: date) -> tuple[Lane, ...]:
    """One lane per phase with its time-boxes, then one for time-boxes in no phase (waves)."""
    snapshot = reading.snapshot
    found: list[Lane] = []
    placed: set[str] = set()
    for phase in snapshot.phases:
        boxes = tuple(
            Bar(t.title, t.start_date, t.due_date, t.state, t.web_url)
            for t in phase.timeboxes
            if t.start_date and t.due_date
        )
        placed.update(t.key for t in phase.timeboxes)
        name = reading.lane_name(phase.name)
        found.append(Lane(name, boxes, _gate(reading, phase, today), phase.current))
    rest = [t for t in snapshot.timeboxes if t.key not in placed]
    by_kind: dict[str, list[Bar]] = {}
    for t in rest:
        if t.start_date and t.due_date:
            bar = Bar(t.title, t.start_date, t.due_date, t.state, t.web_url)
            by_kind.setdefault(t.kind, []).append(bar)
    for kind, kind_bars in by_kind.items():
        found.append(Lane(f"{kind.title()}s", tuple(kind_bars)))
    return tuple(found)


def forecast_path(snapshot: EngagementSnapshot, outlook: Forecast) -> list[int]:
    """Done so far, extended sprint by sprint at the forecast's velocity until nothing is left."""
    if outlook.sprints_needed is None or not outlook.velocity or not snapshot.sprints:
        return []
    weighted = snapshot.velocity_unit == "weight"
    done = sum(s.weight_done if weighted else s.done for s in snapshot.sprints)
    scope = done + outlook.remaining
    steps = min(outlook.sprints_needed, FORECAST_SPRINTS)
    return [round(min(scope, done + outlook.velocity * (i + 1))) for i in range(steps)]


def raid_rows(reading: Reading, today: date, internal: bool) -> tuple[RaidRow, ...]:
    """The items a viewer sees: all for the PS team, the customer-facing ones for others."""
    if reading.raid is None:
        return tuple(
            RaidRow(i.iid, i.title, i.kind, i.severity, i.escalated, i.web_url)
            for i in reading.snapshot.raid
        )
    shown = reading.raid if internal else customer_facing(reading.raid)
    rows = []
    for d in shown:
        flag = f"needs an {d.missing()}" if d.needs_owner_or_date else ""
        if d.overdue(today):
            flag = "past its due date" + (f"; {flag}" if flag else "")
        row = RaidRow(d.iid, d.title, d.kind, d.severity, d.escalated, d.web_url)
        rows.append(dataclasses.replace(row, owner=d.fields.owner, due=d.fields.due, flag=flag))
    return tuple(rows)


def _raid_groups(items: Sequence[RaidRow]) -> tuple[RaidGroup, ...]:
    groups: dict[str, list[RaidRow]] = {}
    for item in items:
        groups.setdefault(item.kind, []).append(item)
    rank = {"High": 0, "Medium": 1, "Low": 2, None: 3}
    found = []
    for kind in sorted(groups):
        members = sorted(groups[kind], key=lambda i: (rank[i.severity], i.iid))
        counts = {s: sum(1 for i in members if (i.severity or "none") == s) for s in _SEVERITIES}
        found.append(RaidGroup(kind, counts, tuple(members)))
    return tuple(found)


_SEVERITIES = ("High", "Medium", "Low", "none")


def engagement_view(
    reading: Reading,
    row: PortfolioRow,
    activity: Sequence[Activity],
    failed: int,
    today: date,
    internal: bool = True,
) -> EngagementView:
    snapshot = reading.snapshot
    unit = snapshot.velocity_unit
    weighted = unit == "weight"
    points = [
        SprintPoint(
            s.title,
            s.weight_committed if weighted else s.committed,
            s.weight_done if weighted else s.done,
            s.finished,
        )
        for s in snapshot.sprints
    ]
    outlook = forecast_of(snapshot)
    velocity = bars(
        [Measure(s.title, s.velocity) for s in snapshot.sprints if s.finished],
        f"Velocity per finished sprint ({unit})",
        unit,
        snapshot.velocity,
    )
    durations = bars(
        [
            Measure(
                f.name, f.cycle.median, "no cycle time yet" if f.lead.count else "nothing closed"
            )
            for f in reading.flow
        ],
        "Cycle time per workstream (median, days)",
        "d",
    )
    base = snapshot.project.web_url
    retro = tuple(
        (a.text, a.issue_title, f"{base}/-/issues/{a.issue_iid}") for a in snapshot.retro_actions
    )
    ordered = sorted(activity, key=lambda a: (not a.failed, _neg(a.received)))
    phases = tuple(
        PhaseRow(p, _gate_of(reading, p), gate_state(reading, p, today)) for p in snapshot.phases
    )
    return EngagementView(
        row=row,
        reading=reading,
        snapshot=snapshot,
        phases=phases,
        workstreams=tuple(
            (w, next((f for f in reading.flow if f.name == w.title), None))
            for w in snapshot.workstreams
        ),
        timeline=timeline(lanes(reading, today), today),
        burnup=burnup(points, forecast_path(snapshot, outlook), unit),
        velocity=velocity,
        durations=durations,
        forecast=outlook.text(unit),
        raid=_raid_groups(raid_rows(reading, today, internal)),
        retro_actions=retro,
        activity=tuple(ordered),
        failed=failed,
        today=today,
    )


def _neg(text: str) -> tuple[int, ...]:
    """Sort key for newest first on ISO-like timestamps."""
    return tuple(-ord(c) for c in text)
