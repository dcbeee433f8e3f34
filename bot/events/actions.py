"""What handlers decide: plain data the service carries out, each as durable steps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaffoldProject:
    """A project was created: choose its playbook by the rules and scaffold it."""

    project_id: int
    project_path: str


@dataclass(frozen=True)
class TimeBoxClosed:
    """A milestone closed: a sprint's retrospective opens, a phase's end advances the phase."""

    project_id: int
    milestone_id: int
    title: str


@dataclass(frozen=True)
class PhaseProgress:
    """An issue closed or reopened: its phase epic's progress is recounted (and may complete)."""

    project_id: int
    issue_iid: int


@dataclass(frozen=True)
class FollowIssueState:
    """Workflow labels follow the issue's state (closed: done; reopened: back to the start)."""

    project_id: int
    issue_iid: int
    state: str


@dataclass(frozen=True)
class RestoreLabels:
    """Standard labels of the engagement deleted or renamed by hand come back."""

    project_id: int


Action = ScaffoldProject | TimeBoxClosed | PhaseProgress | FollowIssueState | RestoreLabels
