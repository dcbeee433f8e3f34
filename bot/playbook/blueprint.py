"""The blueprint: the desired state of one engagement, rendered from a playbook.

It is the contract between the playbook room (which renders it) and the engine (which
diffs it against live GitLab). Every object carries a stable `key` of the form
`<kind>:<slug>` (for example `issue:discovery/kickoff`); the key is what the bot writes
into its ownership marker, so it must not change when titles or variables change.
References between objects (an issue's epic or time-box, an epic's parent) are keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

TimeBoxKind = Literal["phase", "sprint", "wave", "release"]
# What an issue is to the engagement's figures: work (stories, tasks) is progress; ceremonies
# (planning, demo, retrospective meetings) and governance (status, RAID, gates, retrospective
# write-ups) are shown beside it and never counted as progress.
IssueKind = Literal["work", "ceremony", "governance"]
IssueRole = Literal[
    "story",
    "task",
    "retrospective",
    "internal-retrospective",
    "customer-retrospective",
    "status",
    "raid",
]
# The kind an issue gets when its playbook item does not say: a sprint retrospective is a
# meeting; status, RAID and the close-out retrospectives are write-ups that steer the work.
ROLE_KIND: Mapping[str, IssueKind] = {
    "story": "work",
    "task": "work",
    "retrospective": "ceremony",
    "internal-retrospective": "governance",
    "customer-retrospective": "governance",
    "status": "governance",
    "raid": "governance",
}
# customer: applied to the customer's collaboration project (nothing confidential in it);
# internal: the PS team's own group (ps-lifecycle).
Audience = Literal["customer", "internal"]
PilotSchedule = Literal["sequential", "parallel"]


@dataclass(frozen=True)
class Label:
    key: str
    name: str
    color: str
    description: str = ""


@dataclass(frozen=True)
class TimeBox:
    """A GitLab milestone: a phase, a sprint or a scaling wave."""

    key: str
    title: str
    start_date: date | None = None
    due_date: date | None = None
    description: str = ""
    kind: TimeBoxKind = "phase"
    phase: str | None = None
    number: int | None = None


@dataclass(frozen=True)
class Epic:
    """A phase or workstream epic (a work item, a legacy epic, or a parent issue on Free)."""

    key: str
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    parent: str | None = None
    phase: str | None = None
    workstream: bool = False


@dataclass(frozen=True)
class Issue:
    key: str
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    milestone: str | None = None
    epic: str | None = None
    weight: int | None = None
    confidential: bool = False
    role: IssueRole = "task"
    phase: str | None = None
    kind: IssueKind = "work"
    owner: str | None = None
    """The PSDM role owning the issue (a key of `bot/domain/roles.py`)."""
    assignees: tuple[str, ...] = ()
    """The usernames the engagement's variables give that role: who the issue is assigned to."""


@dataclass(frozen=True)
class Board:
    """An issue board whose lists are label lists, left to right."""

    key: str
    name: str
    lists: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


ISSUE_TEMPLATES = ".gitlab/issue_templates/"
"""Where GitLab looks for a project's issue description templates, on the default branch
(`GL:doc/user/project/description_templates.md`)."""


@dataclass(frozen=True)
class IssueTemplate:
    """An issue description template: one Markdown file people pick when they file an issue."""

    key: str
    title: str
    """The name GitLab's template picker shows: the file name without `.md`."""
    body: str
    labels: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"{ISSUE_TEMPLATES}{self.title}.md"


@dataclass(frozen=True)
class Phase:
    """A PSDM phase in engagement order, with the label that marks it as current."""

    key: str
    name: str
    label: str
    epic: str | None = None
    timeboxes: tuple[str, ...] = ()
    gate: str | None = None  # key of the issue whose closing is the phase's exit criterion
    pilot: str | None = None  # key of the MVP pilot ("pilot-1", ...) on every pilot phase
    approvers: tuple[str, ...] = ()  # role keys whose people may pass the phase's gates
    approver_access: int = 40  # lowest GitLab access level that may, when none is recorded


@dataclass(frozen=True)
class Pilot:
    """One MVP pilot: its own Discovery-to-Sprinting phases, time-boxes and epics.

    Pilot 1's objects keep the keys an engagement with a single pilot has always had; the
    objects of pilot N > 1 carry the key prefix `pilot-N/`.
    """

    key: str  # "pilot-1", "pilot-2", ...
    number: int
    name: str
    phases: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusWeek:
    """The weekly status issue of one engagement week, created in that week, not up front."""

    week: int
    start_date: date
    due_date: date
    issue: Issue


Object = Label | TimeBox | Epic | Issue | Board | IssueTemplate


@dataclass(frozen=True)
class Blueprint:
    playbook: str
    variables: Mapping[str, object] = field(default_factory=dict)
    audience: Audience = "customer"
    labels: tuple[Label, ...] = ()
    timeboxes: tuple[TimeBox, ...] = ()
    epics: tuple[Epic, ...] = ()
    issues: tuple[Issue, ...] = ()
    boards: tuple[Board, ...] = ()
    templates: tuple[IssueTemplate, ...] = ()
    phases: tuple[Phase, ...] = ()
    pilots: tuple[Pilot, ...] = ()
    pilot_schedule: PilotSchedule = "sequential"
    # Declared, not planned: the engine never creates these; the periodic job creates the
    # week's issue (find-or-create by its key) once the week has begun.
    weekly_status: tuple[StatusWeek, ...] = ()

    def objects(self) -> Iterator[Object]:
        """Every object, parents before children: labels, time-boxes, epics, issues, boards,
        issue templates."""
        yield from self.labels
        yield from self.timeboxes
        yield from self.epics
        yield from self.issues
        yield from self.boards
        yield from self.templates

    def status_week_on(self, day: date) -> StatusWeek | None:
        """The weekly status due in the week that contains `day`, if the engagement has one."""
        for week in self.weekly_status:
            if week.start_date <= day <= week.due_date:
                return week
        return None

    def with_status_week(self, day: date) -> Blueprint:
        """This blueprint plus the status issue of the week containing `day`, when there is one:
        what the periodic job reconciles, so the week's issue is found or created in its week."""
        week = self.status_week_on(day)
        if week is None or any(issue.key == week.issue.key for issue in self.issues):
            return self
        return replace(self, issues=(*self.issues, week.issue))

    def get(self, key: str) -> Object:
        for obj in self.objects():
            if obj.key == key:
                return obj
        raise KeyError(key)
