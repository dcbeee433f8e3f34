"""An engagement's issues, milestones and epics as the GitLab adapter reads them, before the
playbook gives them meaning (the report arranges them; the event handlers decide on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.report.snapshot import DoraMetric, ProjectRef


@dataclass(frozen=True)
class LiveMilestone:
    id: int
    title: str
    state: str
    start_date: date | None
    due_date: date | None
    key: str | None
    web_url: str | None = None

    @property
    def active(self) -> bool:
        return self.state == "active"


@dataclass(frozen=True)
class LiveIssue:
    iid: int
    title: str
    state: str
    labels: tuple[str, ...]
    weight: int | None
    milestone_id: int | None
    key: str | None
    description: str = ""
    web_url: str | None = None
    epic_iid: int | None = None

    @property
    def closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class LiveEpic:
    """A group epic (or, on Free, the issue standing for one): its iid, marker key and labels."""

    iid: int
    key: str | None
    labels: tuple[str, ...]


@dataclass(frozen=True)
class LiveEngagement:
    project: ProjectRef
    milestones: tuple[LiveMilestone, ...]
    issues: tuple[LiveIssue, ...]
    epics: tuple[LiveEpic, ...]
    epic_mode: str
    dora: tuple[DoraMetric, ...] | None
    dora_note: str
