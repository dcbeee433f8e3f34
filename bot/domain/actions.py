"""Action items: the one reading of a retrospective's to-dos, and of a checklist's ticks.

An action item is a task-list item (`- [ ]`, `* [ ]`, `+ [ ]`, ticked `[x]`) in a
retrospective, anywhere but under an "Acceptance criteria" heading (those are the issue's own
checklist, not actions the team took on). An action that names issues of the project (`#42`)
is tracked there: it is done when every issue it names is closed, whatever its box says
(GitLab ticks no box when an issue closes, and a reopened issue is open work again). Any
other action is done when its box is ticked. The retrospective that carries actions over,
`RetroComplete`, the weekly report and the dashboard all read them here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TASK = re.compile(r"^\s*[-*+] \[(?P<box>[ xX])\] (?P<text>.+?)\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")
# `#42` of this project; not `group/project#42` (another project's) and not `!42` or `&42`
_ISSUE_REF = re.compile(r"(?<![\w/#&!])#(?P<iid>\d+)\b")


@dataclass(frozen=True)
class TaskItem:
    text: str
    ticked: bool
    criterion: bool
    """Under an "Acceptance criteria" heading: the issue's own checklist."""

    @property
    def issues(self) -> tuple[int, ...]:
        """The issues of the project the item names (`#42`), in order."""
        return tuple(dict.fromkeys(int(m["iid"]) for m in _ISSUE_REF.finditer(self.text)))


def task_items(description: str | None) -> list[TaskItem]:
    """Every task-list item of a description, ticked or not, in order."""
    items: list[TaskItem] = []
    criteria = False
    for line in (description or "").splitlines():
        heading = _HEADING.match(line)
        if heading:
            criteria = heading["title"].lower().startswith("acceptance criteria")
            continue
        found = _TASK.match(line)
        if found:
            items.append(TaskItem(found["text"], found["box"] != " ", criteria))
    return items


def action_items(description: str | None) -> list[TaskItem]:
    """A retrospective's action items, in order (the same text may come twice)."""
    return [item for item in task_items(description) if not item.criterion]


def action_done(item: TaskItem, closed: Mapping[int, bool] | None = None) -> bool:
    """Whether the action is done: its issues closed, when it names issues `closed` knows
    (iid: closed?); otherwise its box ticked."""
    named = [closed[iid] for iid in item.issues if closed is not None and iid in closed]
    return all(named) if named else item.ticked


def open_actions(description: str | None, closed: Mapping[int, bool] | None = None) -> list[str]:
    """The open action items of a retrospective's description, in order, each once.

    `closed` (issue iid: closed?) lets an action that names issues follow them; without it
    only the boxes count."""
    found = (i.text for i in action_items(description) if not action_done(i, closed))
    return list(dict.fromkeys(found))
