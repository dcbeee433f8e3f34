"""The FastAPI app: webhook intake, health, readiness and metrics, wired to the durable side."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import version
from bot.config import Settings
from bot.events.router import Context, Router
from bot.events.routes import build_router
from bot.gitlab.clock import clock_for
from bot.gitlab.connection import Client, owner_key, paced_client
from bot.gitlab.engagement import token_user
from bot.gitlab.preflight import readiness_problem
from bot.gitlab.shared import shared_windows
from bot.service.batcher import GroupCommit
from bot.service.commands import service_runners
from bot.service.dashboard import install_dashboard
from bot.service.dispatcher import Dispatcher
from bot.service.durable import Durable, system_database_url
from bot.service.portfolio import Keeper, Portfolio, gitlab_reader
from bot.service.retention import Retention
from bot.service.store import Delivery, Store, engine_url, private_file
from bot.service.sweep import LabelSweep
from bot.service.webhook import WebhookIntake
from bot.service.workflows import Runner, Workflows

RunnerFactory = Callable[[Settings, Store], Mapping[type, Runner]]

log = structlog.get_logger("psdm.service")


@dataclass
class Service:
    """The parts of a running service, built at startup and closed at shutdown."""

    settings: Settings
    router: Router
    runners: RunnerFactory
    store: Store | None = None
    context: Context | None = None
    durable: Durable | None = None
    dispatcher: Dispatcher | None = None
    batcher: GroupCommit[Delivery, str] | None = None
    workflows: Workflows | None = None
    sweep: LabelSweep | None = None
    portfolio: Portfolio | None = None
    keeper: Keeper | None = None
    retention: Retention | None = None
    readiness: Readiness = field(default_factory=lambda: Readiness())
    _watch: asyncio.Task[None] | None = None

    async def open_intake(self) -> None:
        """The part of the service POST /webhook needs: the store, who the bot is, the batcher."""
        settings = self.settings
        # The process's one client for the bot's GitLab and token, paced as the settings say;
        # every later connection to the same URL and token shares it.
        client = await asyncio.to_thread(pace, settings)
        client.capabilities.keep_for(settings.capabilities_minutes * 60)
        self.store = await asyncio.to_thread(Store, settings.database_url)
        self.context = await asyncio.to_thread(bot_context, settings)
        self.batcher = GroupCommit(
            self.store.record_batch,
            interval=settings.batch_interval_ms / 1000,
            after_commit=self._wake_dispatcher,
            writers=1 if self.store.is_sqlite else 2,
        )
        self.batcher.start()

    async def open(self) -> None:
        settings = self.settings
        if settings.database_url.startswith("sqlite"):
            dbos_file = sa.engine.make_url(system_database_url(settings.database_url)).database
            if dbos_file:
                await asyncio.to_thread(private_file, Path(dbos_file))
        await self.open_intake()
        assert self.store is not None and self.context is not None
        workflows = Workflows(self.router, self.context, self.runners(settings, self.store))
        clock = clock_for(settings.clock, settings.gitlab_url, settings.gitlab_token)
        self.portfolio = Portfolio(self.store, gitlab_reader(settings), clock)
        self.keeper = Keeper(
            self.portfolio,
            interval_seconds=settings.label_sweep_minutes * 60 or 900,
            settle=settings.portfolio_settle_seconds,
            status=lambda key: self.durable.status(key) if self.durable else None,
        )
        self.durable = Durable(
            settings.database_url,
            self.keeper.recording(workflows.handle),
            executor_id=settings.executor_id,
            application_version=settings.application_version,
            concurrency=settings.concurrency,
            polling_seconds=settings.queue_polling_seconds,
            sweeper=self.keeper.recording_sweep(workflows.sweep),
        )
        await asyncio.to_thread(self.durable.launch)
        self.workflows = workflows
        self.dispatcher = Dispatcher(self.store, self.durable.start)
        self.dispatcher.start()
        self._watch = asyncio.get_running_loop().create_task(self._watch_readiness())
        if settings.label_sweep_minutes > 0:
            self.sweep = LabelSweep(
                self.store,
                self.durable.sweep,
                interval_seconds=settings.label_sweep_minutes * 60,
            )
            self.sweep.start()
        self.keeper.start()
        self.retention = Retention(
            self.store,
            days=settings.retention_days,
            workflows=self.durable.prune,
            activity=self.portfolio.prune,
        )
        self.retention.start()

    def _wake_dispatcher(self, committed: Sequence[Delivery]) -> None:
        if self.dispatcher and any(d.wanted for d in committed):
            self.dispatcher.wake()

    async def _watch_readiness(self) -> None:
        """Check the database and GitLab now and then; `/readyz` answers the last result."""
        while True:
            await self.check_readiness()
            await asyncio.sleep(self.settings.readiness_seconds)

    async def check_readiness(self) -> None:
        database, reasons = False, []
        try:
            assert self.store is not None
            await asyncio.to_thread(self.store.ping)
            database = True
        except Exception as error:
            reasons.append(f"database: {type(error).__name__}: {error}")
            log.warning("database not reachable", error=str(error))
        url, token = self.settings.gitlab_url, self.settings.gitlab_token
        problem = await asyncio.to_thread(readiness_problem, url, token)
        gitlab = problem is None
        if problem:
            reasons.append(f"gitlab: {problem}")
        self.readiness = Readiness(database, gitlab, time.time(), "; ".join(reasons) or None)

    async def close(self) -> None:
        if self.retention:
            await asyncio.to_thread(self.retention.stop)
        if self.keeper:
            await asyncio.to_thread(self.keeper.stop)
        if self._watch:
            self._watch.cancel()
            with suppress(asyncio.CancelledError):
                await self._watch
        if self.sweep:
            await asyncio.to_thread(self.sweep.stop)
        if self.batcher:
            await self.batcher.close()
        if self.dispatcher:
            await asyncio.to_thread(self.dispatcher.stop)
        if self.durable:
            await asyncio.to_thread(self.durable.shutdown)
        if self.store:
            self.store.close()


@dataclass(frozen=True)
class Readiness:
    """The last readiness check; never checked yet counts as not ready."""

    database: bool = False
    gitlab: bool = False
    checked_at: float | None = None
    reason: str | None = "not checked yet"
    """Why the service is not ready, with the fix (`bot/gitlab/preflight.py`)."""

    @property
    def ready(self) -> bool:
        return self.database and self.gitlab


def pace(settings: Settings) -> Client:
    """Make the process's one client for the bot's GitLab and token, paced as the settings
    say; on PostgreSQL its windows are shared with every instance using the database."""
    share = None
    if settings.uses_postgres:
        owner = owner_key(settings.gitlab_url, settings.gitlab_token)
        share = shared_windows(engine_url(settings.database_url), owner)
    return paced_client(
        settings.gitlab_url,
        settings.gitlab_token,
        settings.rate_limits,
        settings.custom_rate_limits,
        share,
    )


def bot_context(settings: Settings) -> Context:
    """Who the bot is, so handlers ignore its own events: configured, else asked of GitLab."""
    if settings.bot_username:
        return Context(bot_username=settings.bot_username)
    found = token_user(settings.gitlab_url, settings.gitlab_token)
    if found is None:
        log.warning("could not tell the bot's own user; set bot_username to ignore its events")
        return Context()
    return Context(bot_user_id=found[0], bot_username=found[1])


def create_app(
    settings: Settings,
    *,
    router: Router | None = None,
    runners: RunnerFactory = service_runners,
) -> FastAPI:
    """The service; `runners` builds what carries out the actions handlers decide."""
    service = Service(settings, router or build_router(), runners)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.open()
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(title="psdm-bot", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = service
    install_dashboard(app, settings)
    # Added last, so it is the outermost of ours: a delivery skips the dashboard's session.
    app.add_middleware(WebhookIntake, service=service)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": version()}

    @app.get("/readyz")
    async def readyz() -> Response:
        """The last periodic check (settings.readiness_seconds): no GitLab call per request."""
        last = service.readiness
        body = {
            "ready": last.ready,
            "database": last.database,
            "gitlab": last.gitlab,
            "checked_at": last.checked_at,
            "reason": None if last.ready else last.reason,
        }
        return JSONResponse(body, status_code=200 if last.ready else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Behind a bearer token; with no token configured, only on the metrics listener."""
        token = settings.metrics_token
        if not token or settings.metrics_port:
            return JSONResponse({"message": "not found"}, status_code=404)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse(
                {"message": "metrics need Authorization: Bearer <PSDM_METRICS_TOKEN>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
