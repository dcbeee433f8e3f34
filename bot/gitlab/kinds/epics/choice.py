"""Which epic store a project gets: where the instance's capabilities say its epics live."""

from __future__ import annotations

from collections.abc import Callable

import gitlab

from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.kinds.epics.legacy import LegacyEpics
from bot.gitlab.kinds.epics.parent_issues import IssueEpics
from bot.gitlab.kinds.epics.store import EpicStore
from bot.gitlab.kinds.epics.work_items import Answer, WorkItemEpics
from bot.gitlab.kinds.issues import IssueStore
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.rest import every

Early = Callable[[str], Answer | None]
"""The epics query's answer if it was asked early for the group at the given path, else None."""


def locate_epics(
    ctx: ProjectContext, labels: LabelStore, issues: IssueStore, early: Early | None = None
) -> EpicStore:
    """Work items (18.1+), legacy REST epics, or (Free, or a project without a group) parent
    issues; the store found has read the group's epics already, except on Free."""
    mode = ctx.capabilities.epic_mode
    if ctx.group_id is None or mode == "issues":
        return IssueEpics(ctx, labels, issues)
    if mode == "work_items":
        answered = early(ctx.group_path) if early is not None else None
        store = WorkItemEpics.probe(ctx, labels, answered)
        if store is not None:
            return store
    path = f"/groups/{ctx.group_id}/epics"
    try:
        return LegacyEpics(ctx, labels, every(ctx.rest, path, include_descendant_groups=False))
    except gitlab.GitlabHttpError as error:
        if error.response_code in (403, 404):  # the tier was misread: epics are not here
            return IssueEpics(ctx, labels, issues)
        raise
