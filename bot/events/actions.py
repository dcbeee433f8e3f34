"""What handlers decide: which decision of the domain applies, and what it needs read.

Each action names the parts of the project the service reads for it (one durable step) and
the pure decision that turns that read into effects; the service then performs the effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from bot.domain import closeout, decisions
from bot.domain.effects import Outcome
from bot.domain.model import LiveEngagement
from bot.domain.playbooks import Choice
from bot.playbook.blueprint import Blueprint

MILESTONES, ISSUES, LABELS = "milestones", "issues", "labels"
CLOSER = "closer:"
"""A read part: who last closed the issue `closer:<iid>` (bot/gitlab/engagement.py)."""


@dataclass(frozen=True)
class ScaffoldProject:
    """A project was created: choose its playbook by the rules and scaffold it."""

    project_id: int
    project_path: str
    needs: ClassVar[frozenset[str]] = frozenset()

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return decisions.scaffold(live.project, choice, blueprint)


@dataclass(frozen=True)
class TimeBoxClosed:
    """A milestone closed: a sprint's retrospective opens, a phase's end advances the phase."""

    project_id: int
    milestone_id: int
    title: str
    needs: ClassVar[frozenset[str]] = frozenset({MILESTONES, ISSUES})

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return decisions.close_time_box(live, blueprint, self.milestone_id, today)


@dataclass(frozen=True)
class PhaseProgress:
    """An issue closed or reopened: its phase epic's progress is recounted (and may complete);
    a closed gate is checked against who closed it (GitLab's record, read with the issues)."""

    project_id: int
    issue_iid: int

    @property
    def needs(self) -> frozenset[str]:
        return frozenset({MILESTONES, ISSUES, f"{CLOSER}{self.issue_iid}"})

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return decisions.phase_progress(live, blueprint, self.issue_iid, today)


@dataclass(frozen=True)
class FollowIssueState:
    """Workflow labels follow the issue's state (closed: done; reopened: back to the start)."""

    project_id: int
    issue_iid: int
    state: str
    needs: ClassVar[frozenset[str]] = frozenset({ISSUES})

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return decisions.follow_issue_state(live, blueprint, self.issue_iid, self.state)


@dataclass(frozen=True)
class RestoreLabels:
    """Standard labels of the engagement deleted or renamed by hand come back."""

    project_id: int
    needs: ClassVar[frozenset[str]] = frozenset({LABELS})

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return decisions.restore_labels(live, blueprint)


@dataclass(frozen=True)
class FollowRetrospectives:
    """`RetroComplete` follows each retrospective's state and its action items."""

    project_id: int
    needs: ClassVar[frozenset[str]] = frozenset({ISSUES})

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return closeout.follow_retrospectives(live, blueprint)


@dataclass(frozen=True)
class FollowCloseOut:
    """The reporting labels ticked in the close-out checklist (and the TA review pair);
    `unticked` names the labels the edit of the issue `edited` unticked."""

    project_id: int
    unticked: tuple[str, ...] = ()
    edited: int | None = None
    needs: ClassVar[frozenset[str]] = frozenset({ISSUES})

    def decide(
        self, live: LiveEngagement, choice: Choice, blueprint: Blueprint, today: date
    ) -> Outcome:
        return closeout.follow_close_out(live, blueprint, self.unticked, self.edited)


Action = (
    ScaffoldProject
    | TimeBoxClosed
    | PhaseProgress
    | FollowIssueState
    | RestoreLabels
    | FollowRetrospectives
    | FollowCloseOut
)
