"""The read model: one live engagement as plain, frozen data, before the playbook gives it meaning.

The GitLab adapter fills it (bot/gitlab/engagement.py); every decision, the figures, the report
and the dashboard read it. Only what a rule looks at is here: an object's blueprint key (from
its ownership marker), its state, dates, labels and weight.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.engine.port import EpicMode as EpicMode  # how the instance holds epics, one word


@dataclass(frozen=True)
class ProjectFacts:
    """The project as rules see it (the creation payload carries no topics, so it is read)."""

    id: int
    path_with_namespace: str
    name: str
    topics: tuple[str, ...] = ()
    created: date | None = None
    web_url: str = ""
    group_id: int | None = None


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
    epic: str | None = None
    """The ref of the epic GitLab puts the issue under (an epic iid; on Free, an issue iid)."""
    time_spent: int = 0
    """Seconds logged with GitLab's time tracking (`time_stats.total_time_spent`)."""
    assignees: tuple[str, ...] = ()
    """Usernames the issue is assigned to."""
    due_date: date | None = None
    confidential: bool = False
    closed_on: date | None = None
    """The day GitLab closed it (`closed_at`), while it is closed."""
    left_sprints: tuple[int, ...] = ()
    """Closed milestones the issue sat in when they closed and was moved out of afterwards
    (from its milestone events): their sprints committed it and it slipped from them."""

    @property
    def closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class LiveEpic:
    """A group epic (or, on Free, the issue standing for one): its ref, marker key and labels."""

    ref: str
    key: str | None
    title: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class LiveLabel:
    id: int
    name: str
    color: str
    description: str
    project_label: bool = True


@dataclass(frozen=True)
class LiveNote:
    """A comment as GitLab holds it: who wrote it is GitLab's word, not the webhook payload's."""

    id: int
    author_id: int
    author: str
    body: str
    internal: bool
    system: bool = False


@dataclass(frozen=True)
class LiveTimelog:
    """One entry of time spent (GitLab's timelogs): who, on which issue, how long, when."""

    username: str
    issue_iid: int | None
    seconds: int
    spent_on: date | None = None


@dataclass(frozen=True)
class DoraMetric:
    name: str
    value: float | None
    unit: str


@dataclass(frozen=True)
class Closer:
    """Who last closed an issue, by GitLab's own record (its resource state events,
    `GL:doc/api/resource_state_events.md`), and their access level in the project."""

    iid: int
    username: str
    access_level: int
    at: datetime | None = None


@dataclass(frozen=True)
class LiveEngagement:
    """What was read of one project; parts not read for a decision stay empty."""

    project: ProjectFacts
    milestones: tuple[LiveMilestone, ...] = ()
    issues: tuple[LiveIssue, ...] = ()
    epics: tuple[LiveEpic, ...] = ()
    epic_mode: EpicMode = "issues"
    labels: tuple[LiveLabel, ...] = ()
    dora: tuple[DoraMetric, ...] | None = None
    dora_note: str = ""
    timelogs: tuple[LiveTimelog, ...] | None = None
    """Who logged time on the issues; None when not read (or the instance cannot list it)."""
    closers: tuple[Closer, ...] = ()
    """Who closed the issues a decision asked about (read only for those)."""

    def closer(self, iid: int) -> Closer | None:
        return next((c for c in self.closers if c.iid == iid), None)

    def issue(self, iid: int) -> LiveIssue | None:
        return next((i for i in self.issues if i.iid == iid), None)

    def closed_issues(self) -> dict[int, bool]:
        """Each issue read, by iid: whether it is closed (action items that name issues follow
        them)."""
        return {i.iid: i.closed for i in self.issues}

    def issue_by_key(self, key: str) -> LiveIssue | None:
        return next((i for i in self.issues if i.key == key), None)

    def epic_by_key(self, key: str) -> LiveEpic | None:
        return next((e for e in self.epics if e.key == key), None)

    def milestone(self, milestone_id: int) -> LiveMilestone | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)

    def with_milestone_closed(self, milestone_id: int) -> LiveEngagement:
        """The engagement as it will be once the milestone is closed (a decision looks ahead)."""
        closed = tuple(
            replace(m, state="closed") if m.id == milestone_id else m for m in self.milestones
        )
        return replace(self, milestones=closed)
