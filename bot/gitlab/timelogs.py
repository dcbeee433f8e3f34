"""Who logged time on a project's issues: GitLab's timelogs, read through GraphQL.

REST only gives each issue's total (`time_stats`); the timelogs name the person, which the
budget needs to count hours by role (`GL:doc/user/project/time_tracking.md`, GraphQL
`Project.timelogs`). An instance that cannot answer leaves them unread (None), and the budget
burns the issues' totals instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import gitlab

from bot.domain.model import LiveTimelog
from bot.gitlab.connection import Connection
from bot.gitlab.graphql import execute

TIMELOGS = """
query($path: ID!, $after: String) {
  project(fullPath: $path) {
    timelogs(first: 100, after: $after) {
      nodes { timeSpent spentAt user { username } issue { iid } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
MAX_PAGES = 200
"""20,000 entries: beyond that an engagement's budget is not read entry by entry."""


def live_timelog(node: dict[str, Any]) -> LiveTimelog | None:
    """A timelog node as the domain reads it; None for a node it cannot read."""
    user = node.get("user") or {}
    issue = node.get("issue") or {}
    seconds = node.get("timeSpent")
    if not isinstance(seconds, int) or not user.get("username"):
        return None
    spent = str(node.get("spentAt") or "")[:10]
    try:
        spent_on = date.fromisoformat(spent) if spent else None
    except ValueError:
        spent_on = None
    iid = str(issue.get("iid") or "")
    number = int(iid) if iid.isdigit() else None
    return LiveTimelog(str(user["username"]), number, seconds, spent_on)


def read_timelogs(conn: Connection, project_path: str) -> tuple[LiveTimelog, ...] | None:
    """Every timelog on the project's issues, oldest first; None when they cannot be read."""
    found: list[LiveTimelog] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        try:
            data = execute(conn.graphql, TIMELOGS, path=project_path, after=after)
        except (gitlab.GitlabError, ValueError):
            return None
        logs = (data.get("project") or {}).get("timelogs")
        if not isinstance(logs, dict):
            return None
        found += [t for n in logs.get("nodes") or () if n and (t := live_timelog(n))]
        page = logs.get("pageInfo") or {}
        if not page.get("hasNextPage") or not page.get("endCursor"):
            return tuple(found)
        after = str(page["endCursor"])
    return None
