"""The engagement's figures, computed once: the one function every view and decision reads.

`engagement_figures` arranges what GitLab holds by what the playbook means. Issues belong to
an epic by the blueprint (their ownership key says which issue they are) or, for issues people
added, by the epic GitLab puts them under; workstream issues also by the workstream's label.
Every issue is counted by its kind: work (stories, tasks) is progress; ceremonies and
governance (status, RAID, retrospectives, gates) are shown beside it, never as progress; and
issues in no phase or workstream are counted too (`elsewhere`), so none goes missing.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, cast

from bot.domain.actions import open_actions
from bot.domain.engagement import (
    ESCALATED,
    RAID_KINDS,
    RAID_LOG,
    RETRO_ROLES,
    SEVERITY_LABELS,
    closed_keys,
    current_phase,
    engagement_epic,
    kind_of,
    milestone_for,
)
from bot.domain.gates import PilotPhase, live_gates, pilot_phases, pilots_line
from bot.domain.model import DoraMetric, LiveEngagement, LiveIssue, LiveMilestone
from bot.domain.weekly import status_key_on
from bot.playbook.blueprint import Blueprint, Issue, IssueKind

TimeBoxState = Literal["upcoming", "active", "overdue", "closed", "missing"]
DEFAULT_WEIGHT = 1
"""What a work item without a weight counts for once the engagement's sprint work is weighted
(the playbook variable `default_weight` changes it): never nothing, or done work would be lost
from the velocity and open work from the forecast."""
FORECAST_WINDOW = 3
"""Finished sprints the velocity averages: recent pace, not the whole engagement's."""
Severity = Literal["High", "Medium", "Low"]
KINDS: tuple[IssueKind, ...] = ("work", "ceremony", "governance")


@dataclass(frozen=True)
class Progress:
    """Issues (and their weight) of one kind: closed against open."""

    closed: int = 0
    open: int = 0
    weight_closed: int = 0
    weight_open: int = 0

    @property
    def total(self) -> int:
        return self.closed + self.open

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0

    @property
    def weighted(self) -> bool:
        return bool(self.weight_closed or self.weight_open)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.open == 0

    def __add__(self, other: Progress) -> Progress:
        return Progress(
            self.closed + other.closed,
            self.open + other.open,
            self.weight_closed + other.weight_closed,
            self.weight_open + other.weight_open,
        )


@dataclass(frozen=True)
class Tally:
    """A group of issues counted by kind: work is the progress; the others stand beside it."""

    work: Progress = Progress()
    ceremony: Progress = Progress()
    governance: Progress = Progress()

    @property
    def all(self) -> Progress:
        return self.work + self.ceremony + self.governance

    @property
    def total(self) -> int:
        return self.all.total

    def line(self) -> str:
        """`3 of 5 work items done (60%); ceremonies 1 of 2; governance 0 of 1`."""
        text = f"{self.work.closed} of {self.work.total} work items done ({self.work.percent}%)"
        for name, part in (("ceremonies", self.ceremony), ("governance", self.governance)):
            if part.total:
                text += f"; {name} {part.closed} of {part.total}"
        return text


@dataclass(frozen=True)
class TimeBox:
    """A phase, sprint or wave milestone with its live dates and state."""

    key: str
    title: str
    kind: str
    phase: str | None
    start_date: date | None
    due_date: date | None
    state: TimeBoxState
    web_url: str | None = None


@dataclass(frozen=True)
class PhaseStatus:
    key: str
    name: str
    label: str
    current: bool
    timeboxes: tuple[TimeBox, ...]
    tally: Tally

    @property
    def progress(self) -> Progress:
        return self.tally.work

    @property
    def start_date(self) -> date | None:
        return min((t.start_date for t in self.timeboxes if t.start_date), default=None)

    @property
    def due_date(self) -> date | None:
        return max((t.due_date for t in self.timeboxes if t.due_date), default=None)

    @property
    def done(self) -> bool:
        return bool(self.timeboxes) and all(t.state == "closed" for t in self.timeboxes)


@dataclass(frozen=True)
class WorkstreamStatus:
    key: str
    title: str
    tally: Tally

    @property
    def progress(self) -> Progress:
        return self.tally.work


@dataclass(frozen=True)
class IssueRef:
    iid: int
    title: str
    web_url: str | None = None


@dataclass(frozen=True)
class SprintFigures:
    """Committed = work items in the sprint; done = closed; slipped = open after it ended.

    Ceremonies and governance issues in the sprint's milestone are counted apart.
    """

    key: str
    title: str
    state: TimeBoxState
    committed: int
    done: int
    slipped: int
    weight_committed: int
    weight_done: int
    weight_slipped: int
    ceremonies: int = 0
    governance: int = 0
    slipped_issues: tuple[IssueRef, ...] = ()
    counted_in_weight: bool | None = None
    """The engagement's unit (weight once any sprint work is weighted); None for a sprint
    counted on its own, weighted when its own work carries weight."""

    @property
    def finished(self) -> bool:
        return self.state in ("closed", "overdue")

    @property
    def paced(self) -> bool:
        """A finished sprint that held work: what the velocity averages. A sprint closed with
        nothing in it (one the bot closed when its pilot's go/no-go passed before it started)
        says nothing about the team's pace."""
        return self.finished and self.committed > 0

    @property
    def weighted(self) -> bool:
        if self.counted_in_weight is not None:
            return self.counted_in_weight
        return self.weight_committed > 0

    @property
    def velocity(self) -> int:
        """Weight done, or work items done where the sprint's issues carry no weight."""
        return self.weight_done if self.weighted else self.done

    @property
    def velocity_unit(self) -> str:
        return "weight" if self.weighted else "issues"

    def line(self) -> str:
        """The one sentence every view uses for a sprint."""
        text = f"{self.done} of {self.committed} work items done"
        if self.finished:
            text += f", {self.slipped} slipped"
        return f"{text}; velocity {self.velocity} {self.velocity_unit}"


@dataclass(frozen=True)
class RaidItem:
    iid: int
    title: str
    kind: str
    severity: Severity | None
    escalated: bool
    web_url: str | None = None


@dataclass(frozen=True)
class RetroAction:
    text: str
    issue_iid: int
    issue_title: str


@dataclass(frozen=True)
class ProjectRef:
    id: int
    path: str
    name: str
    web_url: str


@dataclass(frozen=True)
class EngagementSnapshot:
    project: ProjectRef
    playbook: str
    taken_on: date
    phase: str | None
    """The current phase's name, from the phase label on the engagement epic."""
    phases: tuple[PhaseStatus, ...]
    timeboxes: tuple[TimeBox, ...]
    workstreams: tuple[WorkstreamStatus, ...]
    sprints: tuple[SprintFigures, ...]
    raid: tuple[RaidItem, ...]
    """Open RAID items only."""
    retro_actions: tuple[RetroAction, ...]
    dora: tuple[DoraMetric, ...] | None
    dora_note: str = ""
    """Why `dora` is None, or where its figures come from."""
    status_issue: int | None = None
    """The weekly status issue of the current week (its iid), where `report --post` writes."""
    epic_mode: str = "issues"
    """Where the epics live: `work_items`, `legacy` group epics, or `issues` on Free."""
    elsewhere: Tally = field(default_factory=Tally)
    """Issues in no phase and no workstream (governance the playbook keeps apart, mostly)."""
    totals: Tally = field(default_factory=Tally)
    """Every issue of the engagement, by kind."""
    remaining: Progress = field(default_factory=Progress)
    """The sprint work GitLab holds: each work item once, wherever it sits now (in a sprint,
    or moved out of one), weights with `default_weight` for items without one."""
    weighted: bool = False
    """Whether the sprint work is counted in weight (any of it carries one) or in items."""
    pilots: tuple[PilotPhase, ...] = ()
    """Each MVP pilot's own phase, from its gates."""
    closed_on: date | None = None
    """The day the acceptance sign-off passed: the engagement is closed (None while open;
    reopening the gate reopens it)."""

    @property
    def stage(self) -> str | None:
        """Where the engagement stands in words: each pilot's phase while any pilot of several
        is running (`Pilots: Payments in Sprinting, Mobile in Discovery`), else the phase."""
        running = any(p.phase is not None for p in self.pilots)
        current = next((p for p in self.phases if p.current), None)
        if (
            running
            and len(self.pilots) > 1
            and (current is None or current.key in _pilot_keys(self))
        ):
            return pilots_line(self.pilots)
        return self.phase

    @property
    def current_timebox(self) -> TimeBox | None:
        """The open time-box whose dates contain today, else the latest one left overdue."""
        active = [t for t in self.timeboxes if t.state == "active"]
        overdue = [t for t in self.timeboxes if t.state == "overdue"]
        return active[0] if active else (overdue[-1] if overdue else None)

    @property
    def schedule(self) -> Literal["ahead", "behind"] | None:
        """Whether the phase the engagement is in runs ahead of or behind the phase whose
        time-box the dates are in; None when they agree or either is unknown."""
        box, phase = self.current_timebox, next((p for p in self.phases if p.current), None)
        order = [p.key for p in self.phases]
        if box is None or phase is None or box.phase not in order or box.phase == phase.key:
            return None
        return "ahead" if order.index(phase.key) > order.index(box.phase) else "behind"

    @property
    def next_timebox(self) -> TimeBox | None:
        return next((t for t in self.timeboxes if t.state == "upcoming"), None)

    @property
    def velocity(self) -> float | None:
        """The engagement's one velocity: the mean of the last `FORECAST_WINDOW` finished
        sprints that held work (what the forecast runs on), None before the first one ends."""
        return velocity([s.velocity for s in self.sprints if s.paced])

    @property
    def velocity_unit(self) -> str:
        """One unit for every sprint: weight once any sprint work item carries a weight (items
        without one count `default_weight`), else work items."""
        return "weight" if self.weighted else "issues"

    def sprint(self, key: str) -> SprintFigures | None:
        return next((s for s in self.sprints if s.key == key), None)

    def phase_status(self, key: str) -> PhaseStatus | None:
        return next((p for p in self.phases if p.key == key), None)

    def raid_by_severity(self) -> dict[str, int]:
        """Open RAID items per severity, `none` for items that carry no priority label."""
        counts = {"High": 0, "Medium": 0, "Low": 0, "none": 0}
        for item in self.raid:
            counts[item.severity or "none"] += 1
        return counts

    @property
    def escalated(self) -> tuple[RaidItem, ...]:
        return tuple(item for item in self.raid if item.escalated)


def _pilot_keys(snapshot: EngagementSnapshot) -> set[str]:
    return {key for p in snapshot.pilots for key in p.pilot.phases}


def velocity(done_per_sprint: Sequence[float], window: int = FORECAST_WINDOW) -> float | None:
    """The mean of the last `window` finished sprints' done work, None before any finished."""
    recent = list(done_per_sprint)[-window:]
    return round(statistics.fmean(recent), 1) if recent else None


def default_weight(variables: Mapping[str, object]) -> int:
    """The weight an unweighted work item counts for: the `default_weight` variable when it is
    a whole number of at least 1, else `DEFAULT_WEIGHT`."""
    try:
        value = int(str(variables.get("default_weight", DEFAULT_WEIGHT)))
    except ValueError:
        return DEFAULT_WEIGHT
    return value if value >= 1 else DEFAULT_WEIGHT


def engagement_figures(
    live: LiveEngagement, blueprint: Blueprint, today: date
) -> EngagementSnapshot:
    """Every figure of the engagement, from one read of it: the single source of numbers."""
    counted = _Counted(live, blueprint)
    boxes = _timeboxes(blueprint, live.milestones, today)
    box_by_key = {box.key: box for box in boxes}
    current = _current_phase(blueprint, live, box_by_key)
    placed: set[int] = set()
    phases = []
    by_epic = {phase.key: counted.members(phase.epic) for phase in blueprint.phases}
    in_phase_epics = {i.iid for members in by_epic.values() for i in members}
    for phase in blueprint.phases:
        # a phase holds its epic's issues and the work its time-boxes hold that no phase's
        # epic does (sprint stories sit under workstream epics): each work item in one phase
        own = {m.id for k in phase.timeboxes if (m := _milestone_of(blueprint, k, live))}
        members = by_epic[phase.key] + [
            i
            for i in counted.issues
            if i.iid not in in_phase_epics and i.milestone_id in own and counted.kind(i) == "work"
        ]
        placed.update(i.iid for i in members)
        phases.append(
            PhaseStatus(
                key=phase.key,
                name=phase.name,
                label=phase.label,
                current=phase.key == current,
                timeboxes=tuple(box_by_key[k] for k in phase.timeboxes if k in box_by_key),
                tally=counted.tally(members),
            )
        )
    workstreams = []
    for epic in blueprint.epics:
        if epic.workstream:
            members = counted.members(epic.key, epic.labels)
            placed.update(i.iid for i in members)
            workstreams.append(WorkstreamStatus(epic.key, epic.title, counted.tally(members)))
    facts = live.project
    return EngagementSnapshot(
        project=ProjectRef(facts.id, facts.path_with_namespace, facts.name, facts.web_url),
        playbook=blueprint.playbook,
        taken_on=today,
        phase=next((p.name for p in phases if p.current), None),
        phases=tuple(phases),
        timeboxes=boxes,
        workstreams=tuple(workstreams),
        sprints=_sprints(counted, boxes, live.milestones),
        remaining=counted.sprint_work_open(),
        pilots=pilot_phases(blueprint, live_gates(live, blueprint)),
        closed_on=_closed_on(live, blueprint, today),
        weighted=counted.weighted,
        raid=_raid(blueprint, counted.issues),
        retro_actions=_retro_actions(blueprint, counted.issues),
        dora=live.dora,
        dora_note=live.dora_note,
        status_issue=_status_issue(blueprint, counted.issues, today),
        epic_mode=live.epic_mode,
        elsewhere=counted.tally(i for i in counted.issues if i.iid not in placed),
        totals=counted.tally(counted.issues),
    )


# -- counting -----------------------------------------------------------------------------------


class _Counted:
    """The engagement's issues (epic stand-ins left out) with each one's planned issue."""

    def __init__(self, live: LiveEngagement, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self.issues = tuple(i for i in live.issues if not (i.key or "").startswith("epic:"))
        self.planned: dict[str, Issue] = {i.key: i for i in blueprint.issues}
        self.epic_keys = {e.ref: e.key for e in live.epics if e.key}
        found = (
            milestone_for(t, live.milestones) for t in blueprint.timeboxes if t.kind == "sprint"
        )
        self.sprint_ids = {m.id for m in found if m is not None}
        self.sprint_work = tuple(
            i
            for i in self.issues
            if self.kind(i) == "work"
            and (i.milestone_id in self.sprint_ids or self.sprint_ids.intersection(i.left_sprints))
        )
        self.weighted = any(i.weight is not None for i in self.sprint_work)
        self.default = default_weight(blueprint.variables)

    def weight(self, issue: LiveIssue) -> int:
        """The weight an issue counts for in sprint figures: its own, or the default."""
        if issue.weight is not None:
            return issue.weight
        return self.default if self.weighted else 0

    def sprint_work_open(self) -> Progress:
        """Sprint work done and open, each item once wherever it sits now."""
        return sum(
            (
                Progress(1, 0, self.weight(i), 0) if i.closed else Progress(0, 1, 0, self.weight(i))
                for i in self.sprint_work
            ),
            Progress(),
        )

    def kind(self, issue: LiveIssue) -> IssueKind:
        return kind_of(issue, self.planned.get(issue.key or ""))

    def members(self, epic_key: str | None, labels: Iterable[str] = ()) -> list[LiveIssue]:
        if epic_key is None:
            return []
        planned = {i.key for i in self.blueprint.issues if i.epic == epic_key}
        others = {i.key for i in self.blueprint.issues if i.epic and i.epic != epic_key}
        marks = set(labels)
        return [
            issue
            for issue in self.issues
            if issue.key in planned
            or (
                issue.key not in others
                and (
                    (issue.epic is not None and self.epic_keys.get(issue.epic) == epic_key)
                    or bool(marks.intersection(issue.labels))
                )
            )
        ]

    def tally(self, issues: Iterable[LiveIssue]) -> Tally:
        parts = {kind: Progress() for kind in KINDS}
        for issue in issues:
            weight = issue.weight or 0
            one = Progress(1, 0, weight, 0) if issue.closed else Progress(0, 1, 0, weight)
            kind = self.kind(issue)
            parts[kind] = parts[kind] + one
        return Tally(parts["work"], parts["ceremony"], parts["governance"])


# -- time-boxes and phases ----------------------------------------------------------------------


def _timeboxes(
    blueprint: Blueprint, milestones: Sequence[LiveMilestone], today: date
) -> tuple[TimeBox, ...]:
    boxes = []
    for planned in blueprint.timeboxes:
        found = milestone_for(planned, milestones)
        start = found.start_date if found else planned.start_date
        due = found.due_date if found else planned.due_date
        boxes.append(
            TimeBox(
                key=planned.key,
                title=found.title if found else planned.title,
                kind=planned.kind,
                phase=planned.phase,
                start_date=start,
                due_date=due,
                state=_state(found, start, due, today),
                web_url=found.web_url if found else None,
            )
        )
    return tuple(boxes)


def _state(
    found: LiveMilestone | None, start: date | None, due: date | None, today: date
) -> TimeBoxState:
    if found is None:
        return "missing"
    if found.state == "closed":
        return "closed"
    if start and start > today:
        return "upcoming"
    if due and due < today:
        return "overdue"
    return "active"


def _current_phase(
    blueprint: Blueprint, live: LiveEngagement, boxes: dict[str, TimeBox]
) -> str | None:
    """The phase whose label the engagement epic carries; before any, the first unfinished one."""
    root = engagement_epic(blueprint)
    epic = live.epic_by_key(root.key) if root else None
    marked = current_phase(blueprint, epic.labels, closed_keys(live)) if epic else None
    if marked:
        return marked.key
    for phase in blueprint.phases:
        states = [boxes[k].state for k in phase.timeboxes if k in boxes]
        if not states or any(state != "closed" for state in states):
            return phase.key
    return blueprint.phases[-1].key if blueprint.phases else None


def _sprints(
    counted: _Counted, boxes: Sequence[TimeBox], milestones: Sequence[LiveMilestone]
) -> tuple[SprintFigures, ...]:
    figures = []
    planned_boxes = {t.key: t for t in counted.blueprint.timeboxes}
    for box in boxes:
        if box.kind != "sprint":
            continue
        found = milestone_for(planned_boxes[box.key], milestones)
        inside = [i for i in counted.issues if found and i.milestone_id == found.id]
        # work moved on after the sprint closed was committed to it and slipped from it, as its
        # retrospective (written at the close) counted it
        left = [
            i
            for i in counted.issues
            if found
            and found.id in i.left_sprints
            and i.milestone_id != found.id
            and counted.kind(i) == "work"
        ]
        tally = counted.tally(inside)
        work = [i for i in inside if counted.kind(i) == "work"]
        done = [i for i in work if i.closed]
        late = [i for i in work if not i.closed] if box.state in ("closed", "overdue") else []
        slipped = late + left
        weigh = counted.weight
        figures.append(
            SprintFigures(
                key=box.key,
                title=box.title,
                state=box.state,
                committed=len(work) + len(left),
                done=len(done),
                slipped=len(slipped),
                weight_committed=sum(weigh(i) for i in [*work, *left]),
                weight_done=sum(weigh(i) for i in done),
                weight_slipped=sum(weigh(i) for i in slipped),
                counted_in_weight=counted.weighted,
                ceremonies=tally.ceremony.total,
                governance=tally.governance.total,
                slipped_issues=tuple(IssueRef(i.iid, i.title, i.web_url) for i in slipped),
            )
        )
    return tuple(figures)


def open_work_in(live: LiveEngagement, blueprint: Blueprint, milestone_id: int) -> list[LiveIssue]:
    """The open work items of a milestone: what moves on when its sprint closes."""
    counted = _Counted(live, blueprint)
    return [
        i
        for i in counted.issues
        if i.milestone_id == milestone_id and not i.closed and counted.kind(i) == "work"
    ]


# -- RAID, retrospectives, the status issue -----------------------------------------------------


def _raid(blueprint: Blueprint, issues: Sequence[LiveIssue]) -> tuple[RaidItem, ...]:
    """Open issues on the RAID log (or escalated), not the log issue itself."""
    logs = {i.key for i in blueprint.issues if i.role == "raid"}
    severities = {label: cast(Severity, name) for name, label in SEVERITY_LABELS.items()}
    items = []
    for issue in issues:
        labels = set(issue.labels)
        kinds = [kind for label, kind in RAID_KINDS.items() if label in labels]
        on_log = bool(kinds) or RAID_LOG in labels or ESCALATED in labels
        if issue.closed or issue.key in logs or not on_log:
            continue
        severity = next((s for label, s in severities.items() if label in labels), None)
        items.append(
            RaidItem(
                issue.iid,
                issue.title,
                kinds[0] if kinds else "Item",
                severity,
                ESCALATED in labels,
                issue.web_url,
            )
        )
    order = {"High": 0, "Medium": 1, "Low": 2, None: 3}
    return tuple(sorted(items, key=lambda i: (not i.escalated, order[i.severity], i.iid)))


def _retro_actions(blueprint: Blueprint, issues: Sequence[LiveIssue]) -> tuple[RetroAction, ...]:
    """Each open action once, attributed to the latest retrospective that still carries it."""
    retros = [i.key for i in blueprint.issues if i.role in RETRO_ROLES]
    by_key = {i.key: i for i in issues if i.key}
    closed = {i.iid: i.closed for i in issues}
    found: dict[str, RetroAction] = {}
    for key in retros:
        issue = by_key.get(key)
        if issue is None:
            continue
        for text in open_actions(issue.description, closed):
            found.pop(text, None)
            found[text] = RetroAction(text, issue.iid, issue.title)
    return tuple(found.values())


def _milestone_of(blueprint: Blueprint, key: str, live: LiveEngagement) -> LiveMilestone | None:
    planned = next((t for t in blueprint.timeboxes if t.key == key), None)
    return milestone_for(planned, live.milestones) if planned else None


def _closed_on(live: LiveEngagement, blueprint: Blueprint, today: date) -> date | None:
    """When the engagement closed: the day its acceptance sign-off (the last phase's gate)
    was closed, as GitLab dates it; None while that gate is open or the playbook has none."""
    last = blueprint.phases[-1].gate if blueprint.phases else None
    gate = live.issue_by_key(last) if last else None
    if gate is None or not gate.closed:
        return None
    return gate.closed_on or today


def _status_issue(blueprint: Blueprint, issues: Sequence[LiveIssue], today: date) -> int | None:
    """The weekly status issue of this week: the one carrying the key of today's week (created
    in its week by the periodic job, or listed by an older playbook); None until it exists."""
    due = status_key_on(blueprint, today)
    found = next((i for i in issues if due and i.key == due), None)
    return found.iid if found else None
