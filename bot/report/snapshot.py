"""An engagement as the weekly status sees it: plain data, read once, rendered many ways.

The snapshot holds what GitLab says (states, dates, labels) arranged by what the playbook
says (phases, time-boxes, epics, issue roles); it invents nothing: figures GitLab cannot give
(DORA on a tier without them) are None together with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

TimeBoxState = Literal["upcoming", "active", "overdue", "closed", "missing"]
Severity = Literal["High", "Medium", "Low"]


@dataclass(frozen=True)
class ProjectRef:
    id: int
    path: str
    name: str
    web_url: str


@dataclass(frozen=True)
class Progress:
    """Issues (and their weight) of one epic, milestone or workstream: closed against open."""

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
    progress: Progress

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
    progress: Progress


@dataclass(frozen=True)
class SprintFigures:
    """Committed = issues in the sprint; done = closed; slipped = open after the sprint ended."""

    key: str
    title: str
    state: TimeBoxState
    committed: int
    done: int
    slipped: int
    weight_committed: int
    weight_done: int
    weight_slipped: int

    @property
    def finished(self) -> bool:
        return self.state in ("closed", "overdue")

    @property
    def weighted(self) -> bool:
        return self.weight_committed > 0

    @property
    def velocity(self) -> int:
        """Weight done, or issues done where the sprint's issues carry no weight."""
        return self.weight_done if self.weighted else self.done


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
class DoraMetric:
    name: str
    value: float | None
    unit: str


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

    @property
    def current_timebox(self) -> TimeBox | None:
        """The open time-box whose dates contain today, else the latest one left overdue."""
        active = [t for t in self.timeboxes if t.state == "active"]
        overdue = [t for t in self.timeboxes if t.state == "overdue"]
        return active[0] if active else (overdue[-1] if overdue else None)

    @property
    def next_timebox(self) -> TimeBox | None:
        return next((t for t in self.timeboxes if t.state == "upcoming"), None)

    @property
    def velocity(self) -> float | None:
        """Mean velocity of the finished sprints, None before the first one ends."""
        finished = [s.velocity for s in self.sprints if s.finished]
        return round(sum(finished) / len(finished), 1) if finished else None

    @property
    def velocity_unit(self) -> str:
        return "weight" if any(s.weighted for s in self.sprints) else "issues"

    def raid_by_severity(self) -> dict[str, int]:
        """Open RAID items per severity, `none` for items that carry no priority label."""
        counts = {"High": 0, "Medium": 0, "Low": 0, "none": 0}
        for item in self.raid:
            counts[item.severity or "none"] += 1
        return counts

    @property
    def escalated(self) -> tuple[RaidItem, ...]:
        return tuple(item for item in self.raid if item.escalated)
