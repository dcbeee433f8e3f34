"""Closing a sprint right: slipped work moves on, ceremonies and governance stay, odd closes warn.

A sprint closes two ways, by the milestone being closed in GitLab or by `/psdm sprint close`;
both come here. Only open work (stories, tasks, and issues the team added by hand) moves to the
next open sprint: a sprint's planning, review and retrospective belong to that sprint, and a
status or RAID issue is governance whose milestone says when it was written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.playbook.blueprint import Blueprint, IssueKind, TimeBox

# Issues the bot creates outside the playbook's list, known by their key's family.
GOVERNANCE_KEYS = ("issue:status/", "issue:raid/")
GOVERNANCE_LABELS = frozenset({"Weekly Status", "PS RAID Log", "Retrospective"})
CEREMONY_LABELS = frozenset({"Ceremony"})


@dataclass(frozen=True)
class SprintItem:
    """An issue in a sprint's milestone, as GitLab holds it."""

    iid: int
    title: str
    closed: bool
    key: str | None = None
    labels: tuple[str, ...] = ()
    weight: int | None = None


@dataclass(frozen=True)
class LiveTimeBox:
    """A time-box's milestone as it stands: its id, title and state (`active` or `closed`)."""

    key: str
    id: int
    title: str
    state: str

    @property
    def open(self) -> bool:
        return self.state == "active"


@dataclass(frozen=True)
class SprintClose:
    """What closing a sprint does: which items move where, which stay, what to warn about."""

    sprint: TimeBox
    moves: tuple[SprintItem, ...]
    target: LiveTimeBox | None
    stays: tuple[SprintItem, ...]
    warnings: tuple[str, ...]

    def summary(self) -> str:
        if self.moves and self.target:
            moved = ", ".join(f"#{i.iid}" for i in self.moves)
            return f"unfinished work moved to {self.target.title}: {moved}"
        if self.moves:
            return (
                f"no later sprint is open, so {len(self.moves)} unfinished work item(s) stay in "
                f"{self.sprint.title}"
            )
        return "no unfinished work to move"


def kind_of(blueprint: Blueprint, key: str | None, labels: Sequence[str] = ()) -> IssueKind:
    """Work, ceremony or governance: as the playbook says, else by key family and labels.

    An issue nobody planned (a story the team wrote) is work.
    """
    planned = next((i for i in blueprint.issues if key and i.key == key), None)
    if planned is not None:
        return planned.kind
    if key and key.startswith(GOVERNANCE_KEYS):
        return "governance"
    if GOVERNANCE_LABELS.intersection(labels):
        return "governance"
    if CEREMONY_LABELS.intersection(labels):
        return "ceremony"
    return "work"


def sprints(blueprint: Blueprint) -> list[TimeBox]:
    return [t for t in blueprint.timeboxes if t.kind == "sprint"]


def next_open_sprint(
    blueprint: Blueprint, sprint: TimeBox, live: Mapping[str, LiveTimeBox]
) -> LiveTimeBox | None:
    """The first open sprint after `sprint` in the playbook's order."""
    order = sprints(blueprint)
    if sprint not in order:
        return None
    for later in order[order.index(sprint) + 1 :]:
        found = live.get(later.key)
        if found is not None and found.open:
            return found
    return None


def close_warnings(
    blueprint: Blueprint, sprint: TimeBox, live: Mapping[str, LiveTimeBox], today: date
) -> tuple[str, ...]:
    """Why closing `sprint` today looks wrong: not started yet, or earlier time-boxes open."""
    warnings: list[str] = []
    if sprint.start_date is not None and today < sprint.start_date:
        warnings.append(
            f"{sprint.title} has not started: it runs from {sprint.start_date} to "
            f"{sprint.due_date or 'a date to set'}, and today is {today}."
        )
    order = list(blueprint.timeboxes)
    earlier = [
        live[t.key].title
        for t in order[: order.index(sprint)]
        if t.key in live and live[t.key].open
    ]
    if earlier:
        warnings.append(f"Earlier time-boxes are still open: {', '.join(earlier)}.")
    return tuple(warnings)


def close_sprint(
    blueprint: Blueprint,
    sprint: TimeBox,
    items: Sequence[SprintItem],
    live: Mapping[str, LiveTimeBox],
    today: date,
) -> SprintClose:
    """The decision on a closed sprint: open work moves to the next open sprint."""
    target = next_open_sprint(blueprint, sprint, live)
    moves: list[SprintItem] = []
    stays: list[SprintItem] = []
    for item in items:
        moving = not item.closed and kind_of(blueprint, item.key, item.labels) == "work"
        (moves if moving else stays).append(item)
    return SprintClose(
        sprint,
        tuple(moves),
        target,
        tuple(stays),
        close_warnings(blueprint, sprint, live, today),
    )


def warning_comment(closing: SprintClose, how: str) -> str:
    """The comment on the retrospective when a sprint closed against the warnings."""
    lines = [f"**Warning:** {closing.sprint.title} was closed {how}, though:", ""]
    lines += [f"- {w}" for w in closing.warnings]
    lines += [
        "",
        "Reopen the milestone if this was a mistake; the moved issues can go back by "
        "setting their milestone again.",
    ]
    return "\n".join(lines)


def refusal(closing: SprintClose) -> str:
    """Why `/psdm sprint close` refuses without `--force`."""
    lines = [f"{closing.sprint.title} was not closed:", ""]
    lines += [f"- {w}" for w in closing.warnings]
    lines += ["", "Close it anyway with `--force`; a warning is then left on its retrospective."]
    return "\n".join(lines)
