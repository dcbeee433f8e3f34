"""What the bot can do to GitLab (and to its own records), as data.

A decision returns effects; the service performs each one as its own durable step through
the GitLab adapter, which makes every write a find-or-create or a compare-and-update, so a
step that runs again after a crash changes nothing twice. Effects name objects by blueprint
key where the object may not exist yet when the decision is taken.

`said`, where an effect has it, is what the person who asked is told once it is done;
`{result}` in it stands for what performing answered (an issue's number, a plan summary).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.domain.model import LiveLabel
from bot.playbook.blueprint import Blueprint

ReconcilePurpose = Literal["scaffold", "apply", "plan", "grow"]


@dataclass(frozen=True)
class Reconcile:
    """Read, plan and (unless `dry_run`) apply a blueprint: the engine's whole run, one step."""

    blueprint: Blueprint
    purpose: ReconcilePurpose = "apply"
    said: str = "{result}"

    @property
    def dry_run(self) -> bool:
        return self.purpose == "plan"


@dataclass(frozen=True)
class RecordEngagement:
    """Remember the project's playbook and variables (the service's own table)."""

    project_id: int
    path: str
    playbook: str
    variables: Mapping[str, str]
    first_only: bool = False
    """Keep an existing record (a scaffold); otherwise the record is replaced."""
    said: str = ""


@dataclass(frozen=True)
class CreateIssue:
    """An issue carrying `key` in its ownership marker, created once (found again by key)."""

    key: str
    title: str
    description: str
    labels: tuple[str, ...]
    said: str = ""
    assignees: tuple[str, ...] = ()
    due_date: date | None = None
    confidential: bool = False


@dataclass(frozen=True)
class CompleteIssue:
    """Keep the bot's own section in the issue `key` (created from `template` when missing),
    the rest of its description as people wrote it; reopened if closed."""

    key: str
    title: str
    template: str
    labels: tuple[str, ...]
    section: str
    said: str = ""


@dataclass(frozen=True)
class OnIssue:
    iid: int


@dataclass(frozen=True)
class OnEpic:
    """The epic with this blueprint key (a group epic, or its stand-in issue on Free)."""

    key: str


@dataclass(frozen=True)
class UpsertNote:
    """One comment carrying `marker`, written by the bot: edited in place, or posted once."""

    on: OnIssue | OnEpic
    marker: str
    body: str
    internal: bool = False
    said: str = ""


@dataclass(frozen=True)
class SetIssueLabels:
    """Compare-and-update: add `add` and take off `remove` where the issue differs."""

    iid: int
    add: tuple[str, ...]
    remove: tuple[str, ...]
    said: str = ""


@dataclass(frozen=True)
class RelabelEpic:
    """Give the epic `key` these labels in place of `before`."""

    key: str
    before: tuple[str, ...]
    labels: tuple[str, ...]
    said: str = ""


@dataclass(frozen=True)
class MoveIssues:
    iids: tuple[int, ...]
    milestone_id: int
    said: str = ""


@dataclass(frozen=True)
class CloseMilestone:
    milestone_id: int
    said: str = ""


@dataclass(frozen=True)
class RetitleMilestone:
    """The milestone carrying `key` gets `title` (it may have been created moments before)."""

    key: str
    title: str
    said: str = ""


@dataclass(frozen=True)
class CreateLabel:
    name: str
    color: str
    description: str
    said: str = ""


@dataclass(frozen=True)
class RenameLabel:
    label: LiveLabel
    name: str
    said: str = ""


@dataclass(frozen=True)
class Award:
    """An emoji on a comment, once."""

    issue_iid: int
    note_id: int
    name: str
    said: str = ""


@dataclass(frozen=True)
class SetAssignees:
    """Compare-and-update an issue's assignees: take `remove` off, put `add` on, keep the rest
    (people someone else assigned stay)."""

    iid: int
    add: tuple[str, ...]
    remove: tuple[str, ...] = ()
    said: str = ""


@dataclass(frozen=True)
class CloseSuperseded:
    """Close an open issue with a comment linking forward to the issue `by` (a blueprint
    key): an older week's status once the new week's is posted. Closed already: nothing."""

    iid: int
    by: str
    said: str = ""


@dataclass(frozen=True)
class SetIssueState:
    """Close or reopen an issue, only when it is not in that state already (a gate passed
    by someone who may not, or with criteria unticked, is reopened)."""

    iid: int
    state: Literal["closed", "opened"]
    said: str = ""


Effect = (
    Reconcile
    | RecordEngagement
    | CreateIssue
    | CompleteIssue
    | UpsertNote
    | SetIssueLabels
    | RelabelEpic
    | MoveIssues
    | CloseMilestone
    | RetitleMilestone
    | CreateLabel
    | RenameLabel
    | Award
    | SetAssignees
    | CloseSuperseded
    | SetIssueState
)


@dataclass(frozen=True)
class Decision:
    """What to do, and what to say before the effects' own words (may be empty)."""

    effects: tuple[Effect, ...] = ()
    said: str = ""


@dataclass(frozen=True)
class Refusal:
    """Nothing to do, and why: the reason is told to whoever asked."""

    reason: str


Outcome = Decision | Refusal


def told(decision: Decision, results: list[str]) -> str:
    """What the person is told: the decision's words, then each effect's, in order."""
    parts = [decision.said] if decision.said else []
    for effect, result in zip(decision.effects, results, strict=True):
        if effect.said:
            parts.append(effect.said.format(result=result))
    return " ".join(p for p in parts if p)
