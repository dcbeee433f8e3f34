"""The FastAPI app: webhook intake, health, readiness and metrics, wired to the durable side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.config import Settings
from bot.events.router import Context, Router
from bot.events.routes import build_router
from bot.gitlab.engagement import reachable, token_user
from bot.service.batcher import GroupCommit
from bot.service.commands import service_runners
from bot.service.dashboard import install_dashboard
from bot.service.dispatcher import Dispatcher
from bot.service.durable import Durable
from bot.service.portfolio import Keeper, Portfolio, gitlab_reader
from bot.service.store import Delivery, Store
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
    durable: Durable | None = None
    dispatcher: Dispatcher | None = None
    batcher: GroupCommit[Delivery, bool] | None = None
    workflows: Workflows | None = None
    sweep: LabelSweep | None = None
    portfolio: Portfolio | None = None
    keeper: Keeper | None = None

    async def open(self) -> None:
        settings = self.settings
        self.store = await asyncio.to_thread(Store, settings.database_url)
        context = await asyncio.to_thread(bot_context, settings)
        workflows = Workflows(self.router, context, self.runners(settings, self.store))
        self.portfolio = Portfolio(self.store, gitlab_reader(settings))
        self.keeper = Keeper(
            self.portfolio,
            interval_seconds=settings.label_sweep_minutes * 60 or 900,
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
        self.batcher = GroupCommit(
            self.store.record,
            interval=settings.batch_interval_ms / 1000,
            after_commit=self._wake_dispatcher,
        )
        self.batcher.start()
        if settings.label_sweep_minutes > 0:
            self.sweep = LabelSweep(
                self.store,
                self.durable.sweep,
                interval_seconds=settings.label_sweep_minutes * 60,
            )
            self.sweep.start()
        self.keeper.start()

    def _wake_dispatcher(self, committed: Sequence[Delivery]) -> None:
        if self.dispatcher and any(d.wanted for d in committed):
            self.dispatcher.wake()

    async def close(self) -> None:
        if self.keeper:
            await asyncio.to_thread(self.keeper.stop)
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
    app.add_middleware(WebhookIntake, service=service)
    install_dashboard(app, settings)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        checks = {"database": False, "gitlab": False}
        try:
            assert service.store is not None
            await asyncio.to_thread(service.store.ping)
            checks["database"] = True
        except Exception:
            log.warning("database not reachable", exc_info=True)
        checks["gitlab"] = await asyncio.to_thread(
            reachable, settings.gitlab_url, settings.gitlab_token
        )
        ready = all(checks.values())
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
