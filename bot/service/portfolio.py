"""The portfolio snapshot: what the dashboard shows, kept in the service's database.

Pages never read GitLab or stored payloads on request. A keeper thread reads an engagement
from GitLab (with the bot's token) after each of its workflows ends and for every engagement
once per sweep interval, and stores two things per engagement: the row the portfolio shows
(health included) and the full snapshot its page draws. Every workflow the service runs is
recorded here too (kind, action, outcome), so the Failures panel counts all failed workflows.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from pydantic import TypeAdapter

from bot.clock import SYSTEM, Clock
from bot.config import Settings
from bot.domain.figures import engagement_figures
from bot.domain.gates import gate_issues, live_gates
from bot.domain.metrics import IssueHistory, engagement_metrics, flow_item
from bot.domain.playbooks import Choice
from bot.domain.raid import raid_details
from bot.domain.roles import BY_KEY, role_map
from bot.engine.marker import parse
from bot.events.event import Event
from bot.gitlab.connection import open_connection
from bot.gitlab.engagement import read_engagement
from bot.gitlab.errors import GitLabError, explained
from bot.gitlab.history import Pick, Picked, closed_histories
from bot.gitlab.project import GitLabProject
from bot.playbook.blueprint import Blueprint
from bot.report.pages import (
    FAILED,
    Activity,
    FlowRow,
    GateState,
    Outcome,
    PortfolioRow,
    Reading,
    budget_view,
    portfolio_row,
    unreadable_row,
)
from bot.service.background import Background
from bot.service.runners import blueprint_of
from bot.service.store import Delivery, Engagement, Store, project_partition
from bot.service.workflows import SWEEP

log = structlog.get_logger("psdm.portfolio")

metadata = sa.MetaData()

portfolio_table = sa.Table(
    "psdm_portfolio",
    metadata,
    sa.Column("project_id", sa.Integer, primary_key=True),
    sa.Column("row", sa.Text, nullable=False),
    sa.Column("snapshot", sa.Text),
    sa.Column("refreshed_at", sa.Float, nullable=False),
)

activity_table = sa.Table(
    "psdm_activity",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("project_id", sa.Integer, index=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("status", sa.String(40), nullable=False, index=True),
    sa.Column("detail", sa.Text, nullable=False),
)

SHOWN_ACTIVITY = 30
_rows = TypeAdapter(PortfolioRow)
_readings = TypeAdapter(Reading)


def when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def engagement_url(settings: Settings, project_id: int) -> str | None:
    """The engagement's dashboard page, when the service knows its public URL."""
    return settings.engagement_page(project_id)


Reader = Callable[[Engagement, date], Reading]


def gitlab_reader(settings: Settings) -> Reader:
    """Read an engagement with the bot's token, arranged by its recorded playbook: the figures
    (the one function the report and `/psdm status` use), its gates, and the flow times of its
    closed work from GitLab's resource events (four requests per closed work item, so each
    item's history is kept while its `updated_at` stays the same)."""
    histories = Histories()

    def read(engagement: Engagement, today: date) -> Reading:
        blueprint = blueprint_of(Choice(engagement.playbook, engagement.variables))
        conn = open_connection(settings.gitlab_url, settings.gitlab_token)
        port = GitLabProject(conn, engagement.project_path)
        doing = f"reading {engagement.project_path} for the dashboard"
        with explained(url=conn.url, project=engagement.project_path, doing=doing):
            live = read_engagement(port, today=today)
            closed = histories.read(port, live.project.id, _picker(blueprint))
        snapshot = engagement_figures(live, blueprint, today)
        found = gate_issues(blueprint, live_gates(live, blueprint))
        gates = tuple(
            GateState(p.name, found[p.gate].title, found[p.gate].closed, found[p.gate].web_url)
            for p in blueprint.phases
            if p.gate and p.gate in found
        )
        metrics = engagement_metrics(live, blueprint, snapshot, closed)
        flow = metrics.flow.by_workstream if metrics.flow else {}
        rows = tuple(FlowRow(name, f.cycle, f.lead, f.without_start) for name, f in flow.items())
        outcomes = tuple(
            Outcome(o.outcome.name, o.done, o.of, o.how) for o in metrics.outcomes
        ) + tuple(
            Outcome(name, c.done, c.planned, "adoption KPI")
            for name, c in metrics.kpis.totals.items()
            if c.planned or c.done
        )
        budget = metrics.budget.text() if metrics.budget else None
        pilots = tuple((p.name, p.pilot) for p in blueprint.phases if p.pilot)
        view = budget_view(metrics.budget) if metrics.budget else None
        raid = raid_details(blueprint, live.issues)
        program = str(engagement.variables.get("program") or "")
        owners = tuple(
            (BY_KEY[key].title, ", ".join(f"@{p}" for p in people))
            for key, people in role_map(engagement.variables).items()
        )
        return Reading(snapshot, gates, rows, pilots, outcomes, budget, view, raid, program, owners)

    return read


class Histories:
    """Closed issues' histories by project and iid, with the `updated_at` they were read at."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, int], tuple[str, IssueHistory]] = {}

    def read(self, port: GitLabProject, project_id: int, pick: Pick) -> list[IssueHistory]:
        reused: list[IssueHistory] = []
        stamps: dict[int, str] = {}

        def unless_known(issue: Mapping[str, Any]) -> Picked | None:
            picked = pick(issue)
            if picked is None:
                return None
            iid, stamp = int(issue["iid"]), str(issue.get("updated_at"))
            kept = self._kept.get((project_id, iid))
            if kept is not None and kept[0] == stamp:
                reused.append(kept[1])
                return None
            stamps[iid] = stamp
            return picked

        fresh = closed_histories(port.rest, project_id, unless_known)
        for history in fresh:
            self._kept[(project_id, history.iid)] = (stamps[history.iid], history)
        return reused + fresh


def _picker(blueprint: Blueprint) -> Pick:
    """The closed issues whose flow counts (the domain's `flow_item`), with their workstream."""

    def pick(issue: Mapping[str, Any]) -> Picked | None:
        marker = parse(issue.get("description"))[1]
        labels = tuple(str(label) for label in issue.get("labels") or ())
        counted, workstream = flow_item(blueprint, marker.key if marker else None, labels)
        return Picked("work", workstream) if counted else None

    return pick


class Portfolio:
    """The snapshot store: rows and snapshots per engagement, and every workflow's outcome."""

    def __init__(self, store: Store, read: Reader, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.clock = clock
        """The date the engagements' figures are taken on."""
        self.engine = store.engine
        self._read = read
        metadata.create_all(self.engine)

    # -- kept current --------------------------------------------------------------------

    def refresh(self, project_id: int, today: date | None = None) -> PortfolioRow | None:
        """Read one engagement from GitLab and store its row and snapshot; None if unknown."""
        engagement = self.store.engagement(project_id)
        if engagement is None:
            return None
        today = today or self.clock.today()
        now = time.time()
        failed = self.failed_count(project_id)
        customer = engagement.variables.get("customer", "")
        reading: Reading | None = None
        try:
            reading = self._read(engagement, today)
            row = portfolio_row(
                reading,
                customer=customer,
                playbook=engagement.playbook,
                failed=failed,
                today=today,
                refreshed=when(now),
            )
        except GitLabError as error:
            row = self._unreadable(engagement, error.message, now)
        except Exception as error:
            log.warning("engagement not readable", project_id=project_id, exc_info=True)
            row = self._unreadable(engagement, f"cannot read the engagement: {error}", now)
        self.keep(row, reading, now)
        return row

    def keep(self, row: PortfolioRow, reading: Reading | None, now: float) -> None:
        """Store an engagement's row and reading (the one write the pages depend on)."""
        values = {
            "row": _rows.dump_json(row).decode(),
            "snapshot": _readings.dump_json(reading).decode() if reading else None,
            "refreshed_at": now,
        }
        _upsert(self.engine, portfolio_table.c.project_id, row.project_id, values)

    @staticmethod
    def _unreadable(engagement: Engagement, problem: str, now: float) -> PortfolioRow:
        return unreadable_row(
            engagement.project_id,
            engagement.project_path,
            engagement.variables.get("customer", ""),
            engagement.playbook,
            problem,
            when(now),
        )

    def refresh_all(self, today: date | None = None) -> int:
        found = self.store.all_engagements()
        for engagement in found:
            self.refresh(engagement.project_id, today)
        return len(found)

    # -- read by the pages ---------------------------------------------------------------

    def rows(self) -> list[PortfolioRow]:
        query = sa.select(portfolio_table.c.row)
        with self.engine.connect() as conn:
            return [_rows.validate_json(text) for text in conn.execute(query).scalars()]

    def engagement(self, project_id: int) -> tuple[PortfolioRow, Reading | None] | None:
        query = sa.select(portfolio_table).where(portfolio_table.c.project_id == project_id)
        with self.engine.connect() as conn:
            found = conn.execute(query).first()
        if found is None:
            return None
        reading = _readings.validate_json(found.snapshot) if found.snapshot else None
        return _rows.validate_json(found.row), reading

    # -- workflows -------------------------------------------------------------------------

    def started(self, key: str, project_id: int | None, kind: str, action: str) -> None:
        self._record(key, project_id, kind, action, "PENDING", "")

    def finished(self, key: str, status: str, detail: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(activity_table)
                .where(activity_table.c.key == key)
                .values(status=status, detail=detail[:2000])
            )

    def _record(
        self, key: str, project_id: int | None, kind: str, action: str, status: str, detail: str
    ) -> None:
        values = {
            "project_id": project_id,
            "kind": kind[:100],
            "action": action[:100],
            "started_at": time.time(),
            "status": status,
            "detail": detail,
        }
        _upsert(self.engine, activity_table.c.key, key, values)

    def settle(self, status: Callable[[str], str | None], older_than: float = 600.0) -> int:
        """Workflows still recorded as started long ago take the outcome the durable side holds.

        A workflow cut off by a crash is resumed from its last step and records its own end;
        one that never ends well (recovery attempts exhausted, cancelled) is settled here, so
        the Failures panel counts it too. How many were settled.
        """
        query = sa.select(activity_table.c.key).where(
            activity_table.c.status == "PENDING",
            activity_table.c.started_at < time.time() - older_than,
        )
        with self.engine.connect() as conn:
            keys = list(conn.execute(query.limit(500)).scalars())
        settled = 0
        for key in keys:
            found = status(key)
            if found and found not in ("PENDING", "ENQUEUED"):
                self.finished(key, found, "outcome recorded by the durable workflow engine")
                settled += 1
        return settled

    def prune(self, before: float) -> int:
        """Forget workflow activity started before `before` (retention, issue 23 item 6)."""
        with self.engine.begin() as conn:
            query = activity_table.delete().where(activity_table.c.started_at < before)
            return int(conn.execute(query).rowcount)

    def failed_count(self, project_id: int | None = None) -> int:
        query = sa.select(sa.func.count()).where(activity_table.c.status.in_(FAILED))
        if project_id is not None:
            query = query.where(activity_table.c.project_id == project_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def activity(
        self,
        project_ids: Sequence[int] | None,
        *,
        failed: bool = False,
        limit: int = SHOWN_ACTIVITY,
    ) -> list[Activity]:
        """The newest workflows of these engagements (all when None), failures only if asked."""
        query = sa.select(activity_table).order_by(activity_table.c.started_at.desc())
        if project_ids is not None:
            query = query.where(activity_table.c.project_id.in_(list(project_ids)))
        if failed:
            query = query.where(activity_table.c.status.in_(FAILED))
        with self.engine.connect() as conn:
            found = conn.execute(query.limit(limit)).all()
        return [
            Activity(r.key, r.project_id, r.kind, r.action, when(r.started_at), r.status, r.detail)
            for r in found
        ]

    def failed_by_project(self) -> dict[int | None, int]:
        query = (
            sa.select(activity_table.c.project_id, sa.func.count())
            .where(activity_table.c.status.in_(FAILED))
            .group_by(activity_table.c.project_id)
        )
        with self.engine.connect() as conn:
            return {pid: int(n) for pid, n in conn.execute(query)}


def _upsert(engine: sa.Engine, key: sa.Column[Any], value: object, values: dict[str, Any]) -> None:
    """Update the row whose `key` is `value`, or insert it (SQLite and PostgreSQL alike)."""
    table = key.table
    for _ in range(2):
        try:
            with engine.begin() as conn:
                done = conn.execute(sa.update(table).where(key == value).values(**values))
                if done.rowcount == 0:
                    conn.execute(sa.insert(table).values({key.name: value, **values}))
            return
        except sa.exc.IntegrityError:
            continue  # another writer inserted it first: update it on the next turn


def project_of(delivery: Delivery) -> int | None:
    prefix = "project:"
    if delivery.partition.startswith(prefix) and delivery.partition[len(prefix) :].isdigit():
        return int(delivery.partition[len(prefix) :])
    return None


class Keeper(Background):
    """Keeps the portfolio current: engagements touched by a workflow, and all of them per slot.

    Wraps the delivery handler so every workflow is recorded (started, then its outcome) and
    its engagement is read again shortly after; a failing refresh never fails the workflow.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        *,
        interval_seconds: float,
        settle: float = 1.0,
        status: Callable[[str], str | None] | None = None,
    ) -> None:
        self.portfolio = portfolio
        self.status = status
        """The durable side's view of a workflow, to settle ones that never recorded an end."""
        self._interval = interval_seconds
        self._settle = settle
        self._touched: set[int] = set()
        self._lock = threading.Lock()
        super().__init__("portfolio")

    def touch(self, project_id: int) -> None:
        with self._lock:
            self._touched.add(project_id)
        self._wake.set()

    def recording(
        self, handle: Callable[[Delivery], str], *, touch: bool = True
    ) -> Callable[[Delivery], str]:
        """`handle`, with its workflow recorded on the portfolio (and its engagement read again
        afterwards, unless `touch` is off)."""

        def recorded(delivery: Delivery) -> str:
            project_id = project_of(delivery)
            self._note_start(delivery, project_id)
            status, detail = "ERROR", "the workflow stopped"
            try:
                detail = handle(delivery)
                status = "SUCCESS"
                return detail
            except Exception as error:
                detail = f"{type(error).__name__}: {error}"
                raise
            finally:
                self._note_end(delivery.key, status, detail)
                if touch and project_id is not None:
                    self.touch(project_id)

        return recorded

    def recording_sweep(self, sweep: Callable[[int], str]) -> Callable[[int], str]:
        """The label sweep's workflow, recorded too (one key per project and sweep slot)."""

        def recorded(project_id: int) -> str:
            slot = int(time.time() // self._interval * self._interval)
            key = f"sweep:{project_id}:{slot}"
            delivery = Delivery(key, None, SWEEP, project_partition(project_id), None, "{}")
            return self.recording(lambda _: sweep(project_id), touch=False)(delivery)

        return recorded

    def _note_start(self, delivery: Delivery, project_id: int | None) -> None:
        try:
            payload: Any = json.loads(delivery.payload)
            event = Event.from_delivery(delivery.kind, payload if isinstance(payload, dict) else {})
            self.portfolio.started(delivery.key, project_id, event.kind, event.action or "")
        except Exception:
            log.warning("workflow start not recorded", delivery=delivery.key, exc_info=True)

    def _note_end(self, key: str, status: str, detail: str) -> None:
        try:
            self.portfolio.finished(key, status, detail)
        except Exception:
            log.warning("workflow outcome not recorded", delivery=key, exc_info=True)

    def run_once(self) -> None:
        with self._lock:
            touched, self._touched = self._touched, set()
        for project_id in sorted(touched):
            self.portfolio.refresh(project_id)

    def _loop(self) -> None:
        next_full = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_full:
                    with self._lock:
                        self._touched.clear()
                    if self.status is not None:
                        self.portfolio.settle(self.status)
                    swept = self.portfolio.refresh_all()
                    next_full = time.monotonic() + self._interval
                    log.info("portfolio refreshed", engagements=swept)
                else:
                    self.run_once()
            except Exception:
                log.exception("portfolio not refreshed; retrying shortly")
            self._wake.wait(max(min(next_full - time.monotonic(), self._interval), 0.05))
            self._wake.clear()
            self._stop.wait(self._settle)
