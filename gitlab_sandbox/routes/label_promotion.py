"""Promote a project label to a group label, as users do by hand (`GL:doc/api/labels.md`,
"Promote a project label to a group label": `PUT /projects/:id/labels/:label_id/promote`).

GitLab gives the group a label of the same title (or reuses the one it has), moves every issue,
epic and board list of the group's projects from their project labels of that title to it, and
deletes those project labels. The answer is the group label.
"""

from __future__ import annotations

from typing import Any

from ..events_log import log_of
from ..model import DEVELOPER, Label
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx
from .common import find_project, need_group, need_project
from .labels import find_label

api = Routes()


def promote(ctx: Ctx) -> dict[str, Any]:
    state = ctx.state
    project = find_project(ctx)
    need_project(ctx, project, DEVELOPER)
    label = find_label(ctx, "project", project, ctx.path_id("label_id"))
    if label.owner != "project" or label.owner_id != project.id:
        raise ApiError(404, "404 Label Not Found")
    group = state.project_group(project)
    if group is None:
        raise ApiError(400, "Failed to promote label due to internal error")
    need_group(ctx, group, DEVELOPER)
    target = next(
        (
            la
            for la in state.labels.values()
            if la.owner == "group" and la.owner_id == group.id and la.title == label.title
        ),
        None,
    )
    if target is None:
        moment = now()
        target = Label(
            state.next_id("label"),
            label.title,
            label.color,
            "group",
            group.id,
            moment,
            moment,
            label.description,
        )
        state.labels[target.id] = target
    in_group = {
        p.id
        for p in state.projects.values()
        if any(g.id == group.id for g in state.project_ancestor_groups(p))
    }
    replaced = {
        la.id
        for la in state.labels.values()
        if la.owner == "project" and la.owner_id in in_group and la.title == label.title
    }
    for item in state.work_items.values():
        if any(i in replaced for i in item.label_ids):
            kept = [i for i in item.label_ids if i not in replaced]
            item.label_ids = kept if target.id in kept else [*kept, target.id]
    for board in state.boards.values():
        for listed in board.lists:
            if listed.label_id in replaced:
                listed.label_id = target.id
        board.label_ids = [target.id if i in replaced else i for i in board.label_ids]
    for label_id in replaced:
        del state.labels[label_id]
    log_of(state).merge_labels(replaced, target.id)
    return ctx.render.label(target)


api.put("/projects/{id}/labels/{label_id}/promote")(promote)
