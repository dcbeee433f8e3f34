"""The event handlers, one small function per concern; each only decides."""

from __future__ import annotations

from collections.abc import Iterator

from bot.events.actions import (
    Action,
    FollowIssueState,
    PhaseProgress,
    RestoreLabels,
    ScaffoldProject,
    TimeBoxClosed,
)
from bot.events.event import Event, issue_change, milestone_change, project_created
from bot.events.router import Context, Router

router = Router()


@router.register("System Hook", action="project_create")
@router.register("Project Hook", action="project_create")
def scaffold_new_project(event: Event, context: Context) -> Iterator[Action]:
    created = project_created(event)
    yield ScaffoldProject(created.project_id, created.path_with_namespace)


@router.register("Milestone Hook", action="close")
def close_time_box(event: Event, context: Context) -> Iterator[Action]:
    change = milestone_change(event)
    if change:
        yield TimeBoxClosed(change.project_id, change.milestone_id, change.title)


@router.register("Issue Hook", action="close")
@router.register("Issue Hook", action="reopen")
def follow_issue_state(event: Event, context: Context) -> Iterator[Action]:
    change = issue_change(event)
    if change and event.data.get("object_kind") == "issue":
        yield FollowIssueState(change.project_id, change.issue_iid, change.state)
        yield PhaseProgress(change.project_id, change.issue_iid)


@router.register("Issue Hook")
@router.register("Milestone Hook")
def restore_standard_labels(event: Event, context: Context) -> Iterator[Action]:
    """GitLab sends no event when a label is deleted or renamed, so any activity checks them."""
    if event.project_id is not None:
        yield RestoreLabels(event.project_id)
