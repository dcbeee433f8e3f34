"""`Project.timelogs` and `Group.timelogs`: who logged how much time on which issue, and when.

`GL:doc/api/graphql/reference/_index.md` (`TimelogConnection`, `Timelog`): `startDate` and
`endDate` (or `startTime` / `endTime`) bound `spentAt`, a date as an end bound meaning its whole
day; `username` keeps one person's entries; `totalSpentTime` is a `BigInt`, which GitLab
serializes as a string. Only entries on issues the caller can see are listed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..model import Group, Project, Timelog
from ..web import Ctx
from . import nodes
from .nodes import connection, gid, namespace_node, user_core


def _moment(value: Any, end: bool) -> datetime | None:
    """A `Time` argument: a date alone bounds from its start (or, as an end, its whole day)."""
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _entries(ctx: Ctx, owner: Project | Group, args: dict[str, Any]) -> list[Timelog]:
    state = ctx.state
    if isinstance(owner, Project):
        projects = {owner.id}
    else:
        projects = {p.id for p in state.projects_in(owner, include_subgroups=True)}
    start = _moment(args.get("startTime") or args.get("startDate"), end=False)
    end = _moment(args.get("endTime") or args.get("endDate"), end=True)
    user = state.user_by_username(args["username"]) if args.get("username") else None
    found = []
    for entry in state.timelogs.values():
        item = state.work_items.get(entry.work_item_id)
        if item is None or item.project_id not in projects:
            continue
        if not state.can_see_issue(ctx.user, item):
            continue
        if args.get("username") and (user is None or entry.user_id != user.id):
            continue
        if (start and entry.spent_at < start) or (end and entry.spent_at > end):
            continue
        found.append(entry)
    return sorted(found, key=lambda e: (e.spent_at, e.id))


def timelog_node(ctx: Ctx, entry: Timelog) -> dict[str, Any]:
    state = ctx.state
    item = state.work_items[entry.work_item_id]
    project = state.projects[item.project_id]  # type: ignore[index]
    return {
        "id": gid("Timelog", entry.id),
        "timeSpent": entry.time_spent,
        "spentAt": nodes.time(entry.spent_at),
        "summary": entry.summary,
        "user": user_core(ctx, state.users.get(entry.user_id) or state.ghost()),
        "issue": {
            "id": gid("Issue", item.id),
            "iid": str(item.iid),
            "title": item.title,
            "state": item.state,
            "webUrl": ctx.render.item_url(item),
        },
        "project": namespace_node(ctx, project),
    }


def timelogs_field(ctx: Ctx, owner: Project | Group) -> Any:
    def resolve(
        _info: Any, first: int | None = None, after: str | None = None, **args: Any
    ) -> dict[str, Any]:
        entries = _entries(ctx, owner, args)
        found = connection(entries, first, after, lambda e: timelog_node(ctx, e))
        found["totalSpentTime"] = str(sum(e.time_spent for e in entries))
        return found

    return resolve
