"""Closing a sprint right: slipped work moves on, ceremonies and governance stay, odd closes warn.

A sprint closes two ways, by the milestone being closed in GitLab or by `/psdm sprint close`;
both come here. Only open work (stories, tasks, and issues the team added by hand) moves to the
next open sprint: a sprint's planning, review and retrospective belong to that sprint, and a
status or RAID issue is governance whose milestone says when it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.engagement import following_sprint, milestone_for
from bot.domain.figures import open_work_in
from bot.domain.model import LiveEngagement, LiveIssue, LiveMilestone
from bot.playbook.blueprint import Blueprint, TimeBox


@dataclass(frozen=True)
class SprintClose:
    """What closing a sprint does: which work moves where, and what to warn about."""

    sprint: TimeBox
    milestone: LiveMilestone
    moves: tuple[LiveIssue, ...]
    target: LiveMilestone | None
    warnings: tuple[str, ...]

    def summary(self) -> str:
        if self.moves and self.target:
            moved = ", ".join(f"#{i.iid}" for i in self.moves)
            return f"Unfinished work moved to {self.target.title}: {moved}."
        if self.moves:
            return (
                f"No later sprint is open, so {len(self.moves)} unfinished work item(s) stay in "
                f"{self.milestone.title}."
            )
        return "Every work item of the sprint was done."


def close_warnings(
    blueprint: Blueprint, sprint: TimeBox, milestones: Sequence[LiveMilestone], today: date
) -> tuple[str, ...]:
    """Why closing `sprint` today looks wrong: not started yet, or earlier time-boxes open."""
    warnings: list[str] = []
    own = milestone_for(sprint, milestones)
    start = own.start_date if own and own.start_date else sprint.start_date
    due = own.due_date if own and own.due_date else sprint.due_date
    if start is not None and today < start:
        warnings.append(
            f"{sprint.title} has not started: it runs from {start} to "
            f"{due or 'a date to set'}, and today is {today}."
        )
    order = list(blueprint.timeboxes)
    earlier = []
    for planned in order[: order.index(sprint)]:
        found = milestone_for(planned, milestones)
        if found is not None and found.active:
            earlier.append(found.title)
    if earlier:
        warnings.append(f"Earlier time-boxes are still open: {', '.join(earlier)}.")
    return tuple(warnings)


def close_sprint(
    live: LiveEngagement,
    blueprint: Blueprint,
    sprint: TimeBox,
    milestone: LiveMilestone,
    today: date,
) -> SprintClose:
    """The decision on a closing sprint: its open work moves to the next open sprint."""
    return SprintClose(
        sprint,
        milestone,
        tuple(open_work_in(live, blueprint, milestone.id)),
        following_sprint(blueprint, sprint, live.milestones),
        close_warnings(blueprint, sprint, live.milestones, today),
    )


def warning_marker(sprint: TimeBox) -> str:
    return f"<!-- psdm-bot sprint-close-warning={sprint.key} -->"


def warning_comment(closing: SprintClose, how: str) -> str:
    """The comment on the retrospective when a sprint closed against the warnings."""
    lines = [f"**Warning:** {closing.sprint.title} was closed {how}, though:", ""]
    lines += [f"- {w}" for w in closing.warnings]
    lines += [
        "",
        "Reopen the milestone if this was a mistake; moved issues go back by setting their "
        "milestone again.",
    ]
    return "\n".join(lines)


def refusal(closing: SprintClose) -> str:
    """Why `/psdm sprint close` refuses without `--force`."""
    lines = [f"{closing.sprint.title} was not closed:", ""]
    lines += [f"- {w}" for w in closing.warnings]
    lines += ["", "Close it anyway with `--force`; a warning is then left on its retrospective."]
    return "\n".join(lines)


# -- time-boxes closed without an event ---------------------------------------------------------


def timebox_closed_id(project_id: int, milestone_id: int) -> str:
    """One handling per closed time-box, whether its event or the periodic sweep comes first."""
    return f"timebox-closed:{project_id}:{milestone_id}"


def closed_timeboxes(
    blueprint: Blueprint, milestones: Sequence[LiveMilestone]
) -> tuple[LiveMilestone, ...]:
    """The closed milestones that are the engagement's sprints or phases' time-boxes.

    GitLab before 18.2 sends no event when a milestone closes; the sweep hands these to the
    same decision as the event (`close_time_box`). Waves and releases have no close handling.
    """
    found = []
    for planned in blueprint.timeboxes:
        if planned.kind not in ("sprint", "phase"):
            continue
        live = milestone_for(planned, milestones)
        if live is not None and not live.active:
            found.append(live)
    return tuple(found)
