"""The FastAPI app: webhook intake, health, readiness and metrics, wired to the durable side."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.config import Settings
from bot.events.router import Context, Router
from bot.events.routes import build_router
from bot.gitlab.engagement import reachable
from bot.service.batcher import GroupCommit
from bot.service.commands import service_runners
from bot.service.dashboard import dashboard_router
from bot.service.dispatcher import Dispatcher
from bot.service.durable import Durable
from bot.service.intake import authentic, delivery_of
from bot.service.metrics import (
    ACK_SECONDS,
    EVENTS_DEDUPLICATED,
    EVENTS_IGNORED,
    EVENTS_RECEIVED,
    EVENTS_REJECTED,
)
from bot.service.store import Delivery, Store
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

    async def open(self) -> None:
        settings = self.settings
        self.store = await asyncio.to_thread(Store, settings.database_url)
        context = Context(bot_username=settings.bot_username)
        workflows = Workflows(self.router, context, self.runners(settings, self.store))
        self.durable = Durable(
            settings.database_url,
            workflows.handle,
            executor_id=settings.executor_id,
            application_version=settings.application_version,
            concurrency=settings.concurrency,
            polling_seconds=settings.queue_polling_seconds,
        )
        await asyncio.to_thread(self.durable.launch)
        self.workflows = workflows
        self.dispatcher = Dispatcher(self.store, self.durable.start)
        self.dispatcher.start()
        self.batcher = GroupCommit(
            self.store.record,
            interval=settings.batch_interval_ms / 1000,
            after_commit=self.dispatcher.wake,
        )
        self.batcher.start()

    async def close(self) -> None:
        if self.batcher:
            await self.batcher.close()
        if self.dispatcher:
            await asyncio.to_thread(self.dispatcher.stop)
        if self.durable:
            await asyncio.to_thread(self.durable.shutdown)
        if self.store:
            self.store.close()


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
    app.include_router(dashboard_router())

    @app.post("/webhook", status_code=202)
    async def webhook(request: Request) -> Response:
        started = time.perf_counter()
        headers = {name.lower(): value for name, value in request.headers.items()}
        limit = settings.max_body_bytes
        if int(headers.get("content-length") or 0) > limit:
            return _refuse(413, "payload too large", f"the body exceeds {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                return _refuse(413, "payload too large", f"the body exceeds {limit} bytes")
        raw = bytes(body)
        if not authentic(raw, headers, settings.webhook_secrets, settings.signing_secrets):
            return _refuse(401, "unauthenticated", "missing or wrong X-Gitlab-Token or signature")
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _refuse(400, "malformed", "the body is not JSON")
        if not isinstance(payload, dict):
            return _refuse(400, "malformed", "the body is not a JSON object")
        assert service.batcher is not None and service.workflows is not None
        delivery = delivery_of(headers, raw, payload)
        wanted = service.workflows.wants(delivery.kind, payload)
        delivery = replace(delivery, wanted=wanted)
        try:
            fresh = await service.batcher.submit(delivery)
        except Exception:
            log.exception("could not record a delivery", delivery=delivery.key)
            return _refuse(503, "unrecorded", "the delivery could not be recorded; resend it")
        EVENTS_RECEIVED.labels(kind=delivery.kind).inc()
        if not fresh:
            EVENTS_DEDUPLICATED.labels(kind=delivery.kind).inc()
        elif not wanted:
            EVENTS_IGNORED.labels(kind=delivery.kind).inc()
        ACK_SECONDS.observe(time.perf_counter() - started)
        return JSONResponse({"delivery": delivery.key, "duplicate": not fresh}, status_code=202)

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


def _refuse(status: int, reason: str, message: str) -> JSONResponse:
    EVENTS_REJECTED.labels(reason=reason).inc()
    return JSONResponse({"message": message}, status_code=status)
