"""The one call every way in shares: connect, read, diff, and (unless dry) apply."""

from __future__ import annotations

from bot.engine.apply import DEFAULT_CONCURRENCY, ApplyResult, Progress, apply
from bot.engine.diff import diff
from bot.engine.plan import Plan
from bot.gitlab.connection import open_connection
from bot.gitlab.limits import Limits
from bot.gitlab.project import GitLabProject
from bot.playbook.blueprint import Blueprint


def connect(
    url: str,
    token: str,
    project_path: str,
    *,
    event_uuid: str | None = None,
    limits: Limits | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> GitLabProject:
    """The adapter for one project; `event_uuid` is forwarded on every request made for an event."""
    conn = open_connection(
        url, token, event_uuid=event_uuid, limits=limits, pool=max(concurrency, 1) + 4
    )
    return GitLabProject(conn, project_path)


def reconcile(
    url: str,
    token: str,
    project: str,
    blueprint: Blueprint,
    *,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
    event_uuid: str | None = None,
) -> tuple[Plan, ApplyResult | None]:
    """Plan the blueprint against the project; apply it unless `dry_run` or nothing is pending."""
    port = connect(url, token, project, event_uuid=event_uuid, concurrency=concurrency)
    plan = diff(blueprint, port.read_live(blueprint))
    if dry_run or not plan.pending:
        return plan, None
    port.check_writable()
    return plan, apply(plan, port, concurrency=concurrency, progress=progress)
