"""Issue links: relates_to on every tier, blocks / is_blocked_by on premium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import REPORTER, IssueLink, WorkItem
from ..routing import Routes
from ..state import State, now
from ..web import ApiError, Ctx, Reply, forbidden, not_found
from .common import find_issue, find_project

api = Routes()

LINK_TYPES = ("relates_to", "blocks", "is_blocked_by")
BASE = "/projects/{id}/issues/{issue_iid}/links"


def seen_from(item: WorkItem, link: IssueLink) -> tuple[int, str]:
    """The id of the link's other end, and the link's type as `item` sees it."""
    other_id = link.target_id if link.source_id == item.id else link.source_id
    link_type = link.link_type
    if link.target_id == item.id and link_type != "relates_to":
        link_type = "is_blocked_by" if link_type == "blocks" else "blocks"
    return other_id, link_type


def linked(state: State, item: WorkItem, other: WorkItem) -> bool:
    return any({k.source_id, k.target_id} == {item.id, other.id} for k in state.links.values())


def add_link(state: State, item: WorkItem, other: WorkItem, link_type: str) -> IssueLink:
    """Store one link (REST and GraphQL share the store); `is_blocked_by` is kept as `blocks`."""
    source_id, target_id = item.id, other.id
    if link_type == "is_blocked_by":
        source_id, target_id, link_type = other.id, item.id, "blocks"
    link = IssueLink(state.next_id("issue_link"), source_id, target_id, link_type, now())
    state.links[link.id] = link
    return link


def linked_view(
    ctx: Ctx,
    item: WorkItem,
    link: IssueLink,
    render: Callable[[WorkItem], dict[str, Any]],
    id_key: str,
) -> dict[str, Any]:
    """The other end of a link as `item` sees it, with the link's id, type and dates."""
    other_id, link_type = seen_from(item, link)
    data = render(ctx.state.work_items[other_id])
    data.update(
        {
            id_key: link.id,
            "link_type": link_type,
            "link_created_at": link.created_at,
            "link_updated_at": link.created_at,
        }
    )
    return data


def _linked(ctx: Ctx, item: WorkItem, link: IssueLink) -> dict[str, Any]:
    return linked_view(ctx, item, link, ctx.render.issue, "issue_link_id")


@api.get(BASE)
def list_links(ctx: Ctx) -> list[dict[str, Any]]:
    item = find_issue(ctx, find_project(ctx))
    state = ctx.state
    links = [
        link
        for link in sorted(state.links_of(item), key=lambda k: k.id)
        if state.can_see_issue(
            ctx.user,
            state.work_items[link.target_id if link.source_id == item.id else link.source_id],
        )
    ]
    return [_linked(ctx, item, link) for link in links]


@api.post(BASE)
def create_link(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    item = find_issue(ctx, project)
    user = ctx.me
    state, p = ctx.state, ctx.params
    p.require("target_project_id", "target_issue_iid")
    target_key = p.str("target_project_id") or ""
    target_project = (
        state.projects.get(int(target_key))
        if target_key.isdigit()
        else state.project_by_path(target_key)
    )
    if target_project is None or not state.can_see_project(user, target_project):
        raise not_found("Project")
    target = state.issue_by_iid(target_project, p.int("target_issue_iid") or 0)
    if target is None or not state.can_see_issue(user, target):
        raise not_found("Issue")
    if state.item_access(user, item) < REPORTER or state.item_access(user, target) < REPORTER:
        raise forbidden()
    link_type = p.str("link_type", "relates_to") or "relates_to"
    if link_type not in LINK_TYPES:
        raise ApiError(400, "link_type does not have a valid value", key="error")
    if link_type != "relates_to" and not state.has("blocked_issues"):
        raise forbidden()
    if target.id == item.id:
        raise ApiError(400, "Cannot link an issue to itself")
    if linked(state, item, target):
        raise ApiError(409, "Issue(s) already assigned")
    add_link(state, item, target, link_type)
    shown = p.str("link_type", "relates_to") or "relates_to"
    return {
        "source_issue": ctx.render.issue(item),
        "target_issue": ctx.render.issue(target),
        "link_type": shown,
    }


@api.get(BASE + "/{issue_link_id}")
def get_link(ctx: Ctx) -> dict[str, Any]:
    item = find_issue(ctx, find_project(ctx))
    link = _find(ctx, item)
    return _pair(ctx, link)


def _find(ctx: Ctx, item: WorkItem) -> IssueLink:
    link = ctx.state.links.get(ctx.path_int("issue_link_id"))
    if link is None or item.id not in (link.source_id, link.target_id):
        raise not_found("Issue Link")
    return link


def _pair(ctx: Ctx, link: IssueLink) -> dict[str, Any]:
    state = ctx.state
    return {
        "source_issue": ctx.render.issue(state.work_items[link.source_id]),
        "target_issue": ctx.render.issue(state.work_items[link.target_id]),
        "link_type": link.link_type,
    }


@api.delete(BASE + "/{issue_link_id}", status=200)
def delete_link(ctx: Ctx) -> Reply:
    item = find_issue(ctx, find_project(ctx))
    link = _find(ctx, item)
    if ctx.state.item_access(ctx.me, item) < REPORTER:
        raise forbidden()
    body = _pair(ctx, link)
    del ctx.state.links[link.id]
    return Reply(body, 200)
