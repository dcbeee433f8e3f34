"""The event handlers, one small function per concern; each only decides."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.closeout import unticked_between
from bot.events.actions import (
    Action,
    FollowCloseOut,
    FollowIssueState,
    FollowRetrospectives,
    PhaseProgress,
    RestoreLabels,
    ScaffoldProject,
    TimeBoxClosed,
)
from bot.events.event import Event, issue_change, issue_edit, milestone_change, project_created
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


@router.register("Issue Hook", action="close")
@router.register("Issue Hook", action="reopen")
@router.register("Issue Hook", action="update")
def follow_close_out_labels(event: Event, context: Context) -> Iterator[Action]:
    """A retrospective or an action-item issue closed or reopened, or a description or the
    labels edited (an action added or ticked, a reporting label ticked, `TA::Approved` set):
    `RetroComplete` and the reporting labels are decided again."""
    change = issue_change(event)
    if change is None or event.data.get("object_kind") != "issue":
        return
    edit = issue_edit(event)
    if event.action == "update" and not {"description", "labels"} & edit.changed:
        return
    if event.action != "update" or "description" in edit.changed:
        yield FollowRetrospectives(change.project_id)
    unticked = unticked_between(edit.description_before, edit.description_after)
    yield FollowCloseOut(change.project_id, unticked, change.issue_iid if unticked else None)


@router.register("Issue Hook")
@router.register("Milestone Hook")
def restore_standard_labels(event: Event, context: Context) -> Iterator[Action]:
    """GitLab sends no event when a label is deleted or renamed, so any activity checks them."""
    if event.project_id is not None:
        yield RestoreLabels(event.project_id)
