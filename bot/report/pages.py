"""What the dashboard's pages show, as plain data: the portfolio rows and one engagement's page.

Pure: the service hands in the stored snapshot, the engagement's recorded workflows and
today's date; the templates only lay the result out. The figures come from the snapshot the
report and `/psdm status` read, and the health from `bot.domain.health`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from bot.domain.figures import EngagementSnapshot, PhaseStatus, RaidItem, WorkstreamStatus
from bot.domain.health import ORDER, HealthFacts, OverdueGate, Status, health
from bot.domain.metrics import Durations, Forecast, forecast_of
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

    def lane_name(self, phase: str) -> str:
        """The phase's name, with its pilot's where the engagement runs several pilots."""
        pilots = dict(self.pilots)
        several = len(set(pilots.values())) > 1
        return f"{phase} ({pilots[phase]})" if several and phase in pilots else phase


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
    )


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
class PortfolioView:
    rows: tuple[PortfolioRow, ...]
    total: int
    filters: Filters
    phases: tuple[str, ...]
    playbooks: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)


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
    counts: dict[str, int] = {
        status: sum(1 for r in every if r.health == status) for status in ORDER
    }
    return PortfolioView(
        tuple(shown),
        len(every),
        filters,
        tuple(sorted({r.phase for r in every if r.phase})),
        tuple(sorted({r.playbook for r in every})),
        counts,
    )


# -- one engagement --------------------------------------------------------------------------


@dataclass(frozen=True)
class RaidGroup:
    kind: str
    counts: dict[str, int]
    items: tuple[RaidItem, ...]


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


def _raid_groups(items: Sequence[RaidItem]) -> tuple[RaidGroup, ...]:
    groups: dict[str, list[RaidItem]] = {}
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
        raid=_raid_groups(snapshot.raid),
        retro_actions=retro,
        activity=tuple(ordered),
        failed=failed,
        today=today,
    )


def _no_cycle(flow: FlowRow) -> str:
    return "no started label on closed work" if flow.lead.count else "nothing closed yet"


def _neg(text: str) -> tuple[int, ...]:
    """Sort key for newest first on ISO-like timestamps."""
    return tuple(-ord(c) for c in text)
