"""GET /: the engagements this service manages, their phase and progress, recent events.

Server-rendered (Jinja2, autoescaped), no script. It reads what the service records (the
engagements table, the inbox, each delivery's workflow status) and, per engagement, a report
snapshot from GitLab, kept for a short while so a reloaded page costs GitLab nothing.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.domain.figures import EngagementSnapshot
from bot.domain.playbooks import Choice
from bot.events.event import Event
from bot.gitlab.errors import GitLabError
from bot.gitlab.snapshot import read_snapshot
from bot.service.runners import blueprint_of
from bot.service.store import DISPATCHED, Store, engagements, inbox

SHOWN_ENGAGEMENTS = 50
SHOWN_EVENTS = 20
EVENTS_CHECKED = 50
SNAPSHOT_SECONDS = 30.0
FAILED = {"ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "RETRIES_EXCEEDED", "CANCELLED"}

_templates = Environment(
    loader=PackageLoader("bot.service", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class EngagementRow:
    project_id: int
    path: str
    playbook: str
    recorded: str
    snapshot: EngagementSnapshot | None
    problem: str | None


@dataclass(frozen=True)
class EventRow:
    received: str
    kind: str
    action: str
    project: str
    state: str
    outcome: str | None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def recorded_engagements(store: Store, limit: int = SHOWN_ENGAGEMENTS) -> list[sa.Row]:
    query = sa.select(engagements).order_by(engagements.c.recorded_at.desc()).limit(limit)
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def recent_events(
    store: Store, status: Callable[[str], str | None] | None, limit: int = EVENTS_CHECKED
) -> list[EventRow]:
    """The newest deliveries, each with its workflow's status when one was started."""
    query = sa.select(inbox).order_by(inbox.c.seq.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = list(conn.execute(query))
    found = []
    for row in rows:
        try:
            payload = json.loads(row.payload)
        except json.JSONDecodeError:
            payload = {}
        event = Event.from_delivery(row.kind, payload if isinstance(payload, dict) else {})
        project = event.data.get("project") or {}
        path = (project.get("path_with_namespace") if isinstance(project, dict) else None) or (
            event.data.get("path_with_namespace") or row.partition
        )
        outcome = status(row.key) if status and row.state == DISPATCHED else None
        found.append(
            EventRow(
                _when(row.received_at),
                event.kind,
                event.action or "",
                str(path),
                row.state,
                outcome,
            )
        )
    return found


class Snapshots:
    """Report snapshots per project, read again after `seconds`; a failure is kept as text."""

    def __init__(self, seconds: float = SNAPSHOT_SECONDS) -> None:
        self.seconds = seconds
        self._kept: dict[int, tuple[float, EngagementSnapshot | None, str | None]] = {}
        self._lock = threading.Lock()

    def get(
        self, url: str, token: str, row: sa.Row
    ) -> tuple[EngagementSnapshot | None, str | None]:
        with self._lock:
            kept = self._kept.get(row.project_id)
        if kept and time.monotonic() - kept[0] < self.seconds:
            return kept[1], kept[2]
        snapshot, problem = None, None
        try:
            blueprint = blueprint_of(Choice(row.playbook, json.loads(row.variables)))
            snapshot = read_snapshot((url, token), row.project_path, blueprint=blueprint)
        except GitLabError as error:
            problem = error.message
        except Exception as error:
            problem = f"cannot read the engagement: {error}"
        with self._lock:
            self._kept[row.project_id] = (time.monotonic(), snapshot, problem)
        return snapshot, problem


def dashboard_router() -> APIRouter:
    router = APIRouter()
    snapshots = Snapshots()

    async def row_of(url: str, token: str, row: sa.Row, limit: asyncio.Semaphore) -> EngagementRow:
        async with limit:
            snapshot, problem = await asyncio.to_thread(snapshots.get, url, token, row)
        return EngagementRow(
            row.project_id,
            row.project_path,
            row.playbook,
            _when(row.recorded_at),
            snapshot,
            problem,
        )

    @router.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request) -> HTMLResponse:
        service = request.app.state.service
        store: Store = service.store
        settings = service.settings
        status = service.durable.status if service.durable else None
        rows = await asyncio.to_thread(recorded_engagements, store)
        events = await asyncio.to_thread(recent_events, store, status)
        limit = asyncio.Semaphore(4)
        managed = await asyncio.gather(
            *(row_of(settings.gitlab_url, settings.gitlab_token, row, limit) for row in rows)
        )
        page = _templates.get_template("dashboard.html").render(
            engagements=managed,
            events=events[:SHOWN_EVENTS],
            failures=[e for e in events if e.failed],
            gitlab_url=settings.gitlab_url,
            now=_when(time.time()),
        )
        return HTMLResponse(page)

    return router
