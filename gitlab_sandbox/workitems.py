"""Rules shared by the epics REST API and GraphQL work items: creation and the hierarchy."""

from __future__ import annotations

from datetime import date

from .model import DEVELOPER, Group, User, WorkItem
from .routes.labels import create_label
from .state import State, now
from .web import Ctx

# GL:app/models/work_items/types_framework/system_defined/hierarchy_restriction.rb: epic ->
# epic (maximum depth 7), epic -> issue, issue/incident/ticket -> task.
MAX_EPIC_DEPTH = 7
# GL:doc/user/group/epics/manage_epics.md: an epic holds at most 100 direct child epics;
# GL:app/models/work_items/parent_link.rb caps any other parent at 5000 children.
MAX_EPIC_CHILDREN = 100
MAX_CHILDREN = 5000
ALLOWED_CHILDREN = {
    "epic": ("epic", "issue"),
    "issue": ("task",),
    "incident": ("task",),
    "ticket": ("task",),
}
# What the parent-link services answer when nothing in the request may be linked; EE answers it
# for an epic child when the namespace lacks the `subepics` licensed feature (Premium).
# GL:app/services/work_items/parent_links/base_service.rb (issuables_not_found_message) and
# ee/app/services/ee/work_items/parent_links/base_service.rb (linkable?); GitLab's own spec
# ee/spec/services/work_items/parent_links/create_service_spec.rb, "when subepics are not
# available", expects exactly this message (HTTP status 404 inside the service response).
NO_MATCHING_WORK_ITEM = (
    "No matching work item found. Make sure that you are adding a valid work item ID."
)


class HierarchyError(Exception):
    """A parent/child change GitLab refuses, with GitLab's wording.

    `unlicensed` marks the refusal of a child epic below Ultimate, which GitLab words as the
    parent-link service's "no matching work item" rather than as a validation error.
    """

    def __init__(self, message: str, *, unlicensed: bool = False) -> None:
        super().__init__(message)
        self.unlicensed = unlicensed


def reference(item: WorkItem) -> str:
    if item.is_epic:
        return f"&{item.iid}"
    return f"#{item.iid}"


def check_parent(state: State, child: WorkItem, parent: WorkItem) -> None:
    """Refuse what GL:app/models/work_items/parent_link.rb validates, in its words."""
    ref = reference(child)
    if parent.id == child.id:
        raise HierarchyError(f"{ref} cannot be added: is not allowed to point to itself")
    if child.kind not in ALLOWED_CHILDREN.get(parent.kind, ()) or (
        parent.is_epic and not state.has("epics")
    ):
        raise HierarchyError(
            f"{ref} cannot be added: it's not allowed to add this type of parent item"
        )
    if child.is_epic and not state.has("subepics"):
        raise HierarchyError(NO_MATCHING_WORK_ITEM, unlicensed=True)
    walker: WorkItem | None = parent
    depth = 1
    while walker is not None:
        if walker.id == child.id:
            raise HierarchyError(
                f"{ref} cannot be added: it's already present in this item's hierarchy"
            )
        walker = state.work_items.get(walker.parent_id or 0)
        depth += 1
    if child.is_epic and depth + _height(state, child) > MAX_EPIC_DEPTH + 1:
        raise HierarchyError(f"{ref} cannot be added: reached maximum depth")
    siblings = [w for w in state.work_items.values() if w.parent_id == parent.id]
    cap = MAX_EPIC_CHILDREN if parent.is_epic and child.is_epic else MAX_CHILDREN
    if parent.is_epic and child.is_epic:
        siblings = [w for w in siblings if w.is_epic]
    if child.parent_id != parent.id and len(siblings) >= cap:
        raise HierarchyError(
            f"{ref} cannot be added: parent already has maximum number of children."
        )


def _height(state: State, item: WorkItem) -> int:
    below = [w for w in state.work_items.values() if w.parent_id == item.id and w.is_epic]
    return 1 + max((_height(state, w) for w in below), default=0)


def set_parent(ctx: Ctx, child: WorkItem, parent: WorkItem | None, actor: User) -> None:
    """Attach (or detach, with None) a child; both REST views and GraphQL read this one link."""
    state = ctx.state
    if parent is not None:
        check_parent(state, child, parent)
    if child.parent_id == (parent.id if parent else None):
        return
    child.parent_id = parent.id if parent else None
    child.epic_link_id = (
        state.next_id("epic_issue") if parent is not None and parent.is_epic else None
    )
    child.updated_at = now()
    ctx.emitter.issue(child, "update", actor, {})


def group_label_ids(ctx: Ctx, group: Group, names: list[str], user: User) -> list[int]:
    state = ctx.state
    ids: list[int] = []
    for name in names:
        label = state.find_label(None, group, name)
        if label is None and state.group_access(user, group) >= DEVELOPER:
            label = create_label(ctx, "group", group, name, "#6699cc", None, None)
        if label is not None and label.id not in ids:
            ids.append(label.id)
    return ids


def create_epic(
    ctx: Ctx,
    group: Group,
    user: User,
    title: str,
    *,
    description: str = "",
    label_ids: list[int] | None = None,
    confidential: bool = False,
    start_date: date | None = None,
    due_date: date | None = None,
) -> WorkItem:
    state = ctx.state
    moment = now()
    iid = group.next_epic_iid
    group.next_epic_iid += 1
    epic = WorkItem(
        id=state.next_id("work_item"),
        iid=iid,
        kind="epic",
        title=title,
        author_id=user.id,
        created_at=moment,
        updated_at=moment,
        group_id=group.id,
        description=description,
        label_ids=label_ids or [],
        confidential=confidential,
        start_date=start_date,
        due_date=due_date,
        legacy_epic_id=state.next_id("legacy_epic"),
    )
    state.work_items[epic.id] = epic
    return epic
