"""Promote a project milestone to a group milestone (`GL:doc/api/milestones.md`, "Promote a
milestone to group milestone"; `GL:lib/api/milestones.rb`, `Milestones::PromoteService`).

The group gets a milestone with the title, description, dates and state of the promoted one;
the issues of every milestone of that title in the group's own projects move to it and those
project milestones are deleted. GitLab answers 200 with the bare status as its body.
"""

from __future__ import annotations

from ..model import PLANNER, Milestone
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply
from .common import find_project, need_group, need_project
from .milestones import find_milestone

api = Routes()


@api.post("/projects/{id}/milestones/{milestone_id}/promote")
def promote(ctx: Ctx) -> Reply:
    state = ctx.state
    project = find_project(ctx)
    need_project(ctx, project, PLANNER)
    milestone = find_milestone(ctx, "project", project)
    group = state.project_group(project)
    if group is None:
        raise ApiError(400, "Project does not belong to a group.")
    need_group(ctx, group, PLANNER)
    if any(m.title == milestone.title for m in state.milestones_of("group", group.id)):
        raise ApiError(400, "Promotion failed - Title already being used for milestone")
    moment = now()
    promoted = Milestone(
        id=state.next_id("milestone"),
        iid=group.next_milestone_iid,
        title=milestone.title,
        owner="group",
        owner_id=group.id,
        created_at=moment,
        updated_at=moment,
        description=milestone.description,
        state=milestone.state,
        start_date=milestone.start_date,
        due_date=milestone.due_date,
    )
    group.next_milestone_iid += 1
    siblings = {p.id for p in state.projects_in(group, include_subgroups=False)}
    merged = [
        m
        for m in state.milestones.values()
        if m.owner == "project" and m.owner_id in siblings and m.title == milestone.title
    ]
    state.milestones[promoted.id] = promoted
    for old in merged:
        for item in state.work_items.values():
            if item.milestone_id == old.id:
                item.milestone_id = promoted.id
        del state.milestones[old.id]
    return Reply(200, 200)
