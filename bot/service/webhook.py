"""POST /webhook as plain ASGI, ahead of FastAPI's routing: the hot path of the service.

Each delivery is verified, bounded, parsed, triaged (will a workflow handle it, or why not)
and handed to the group-commit batcher; the 202 goes out only after its batch is committed.
Skipping the framework's routing and dependency machinery for this one endpoint roughly
halves the CPU a delivery costs (measured with bench/intake.py).

Refusals are cheap: a token is checked before a byte of the body is read (only a delivery
signed with Standard Webhooks needs its body first, and few of those are read at once), the
body must arrive within a deadline, and an early refusal closes the connection so an unread
body is never drained. No authentic body gets a 5xx: whatever GitLab could send is a 2xx,
and anything else a 4xx that says why; only an unreachable database answers 503.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.service.intake import (
    Malformed,
    Triage,
    authentic,
    delivery_of,
    json_body,
    recorded,
    token_matches,
    triage,
)
from bot.service.metrics import (
    ACK_SECONDS,
    EVENTS_DEDUPLICATED,
    EVENTS_IGNORED,
    EVENTS_RECEIVED,
    EVENTS_REJECTED,
    EVENTS_UNHANDLED,
    kind_label,
)
from bot.service.store import CONFLICT, FRESH, Delivery

if TYPE_CHECKING:
    from bot.service.app import Service

PATH = "/webhook"
log = structlog.get_logger("psdm.webhook")


class TooLarge(Exception):
    pass


class BodyBudget:
    """Bytes of webhook bodies held at once, signed or not: a body takes its share before its
    first byte is read and gives it back once its delivery is answered.

    Taking is a plain addition while there is room and nobody waits (the hot path costs
    nothing); otherwise the body queues, first come first served, up to a deadline.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def take(self, size: int, seconds: float) -> bool:
        """Wait up to `seconds` for room for `size` bytes; False when none came."""
        if not self._waiting and self.held + size <= self.limit:
            self.held += size
            return True
        entry = (size, asyncio.get_running_loop().create_future())
        self._waiting.append(entry)
        granted = False
        try:
            await asyncio.wait((entry[1],), timeout=seconds)
            granted = entry[1].done()
            return granted
        finally:
            if not entry[1].done():
                self._waiting.remove(entry)
                entry[1].cancel()
                self._grant()
            elif not granted:
                self.give(size)  # room came, but this request is leaving (cancelled)

    def give(self, size: int) -> None:
        self.held -= size
        self._grant()

    def _grant(self) -> None:
        while self._waiting and self.held + self._waiting[0][0] <= self.limit:
            size, future = self._waiting.popleft()
            self.held += size
            future.set_result(None)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    close: bool = False
    """Close the connection after answering: the request's body was not read to its end."""


class WebhookIntake:
    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service
        self.unverified = asyncio.Semaphore(service.settings.max_unverified)
        self.budget = BodyBudget(service.settings.max_bodies_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        answer = await self.accept(scope, receive)
        body = json.dumps(answer.body, separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if answer.close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def accept(self, scope: Scope, receive: Receive) -> Answer:
        started = time.perf_counter()
        settings = self.service.settings
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        limit = settings.max_body_bytes
        try:
            declared = int(headers.get("content-length") or 0)
        except ValueError:
            return _refuse(400, "malformed", "Content-Length is not a number", close=True)
        if declared > limit:
            return _refuse(413, "too_large", f"the body exceeds {limit} bytes", close=True)
        signed = bool(settings.signing_secrets) and "webhook-signature" in headers
        if not signed and not token_matches(
            headers.get("x-gitlab-token"), settings.webhook_secrets
        ):
            return _refuse(401, "unauthenticated", "missing or wrong X-Gitlab-Token", close=True)
        if signed and self.unverified.locked():
            return _refuse(429, "busy", "too many signed deliveries in flight; resend", close=True)
        share = declared if "content-length" in headers else limit
        if not await self.budget.take(share, settings.body_timeout_seconds):
            return _refuse(503, "busy", "too many large deliveries at once; resend", close=True)
        try:
            return await self.within_budget(scope, receive, headers, signed, started)
        finally:
            self.budget.give(share)

    async def within_budget(
        self,
        scope: Scope,
        receive: Receive,
        headers: dict[str, str],
        signed: bool,
        started: float,
    ) -> Answer:
        settings = self.service.settings
        limit = settings.max_body_bytes
        try:
            if signed:
                async with self.unverified:
                    raw = await self._read(receive, limit)
            else:
                raw = await self._read(receive, limit)
        except TooLarge:
            return _refuse(413, "too_large", f"the body exceeds {limit} bytes", close=True)
        except TimeoutError:
            return _refuse(408, "timeout", "the body did not arrive in time", close=True)
        if signed and not authentic(raw, headers, (), settings.signing_secrets):
            return _refuse(401, "unauthenticated", "wrong or stale webhook-signature")
        try:
            if len(raw) <= settings.inline_parse_bytes:
                parsed = self.parse(raw, headers)
            else:
                parsed = await asyncio.to_thread(self.parse, raw, headers)
        except Malformed as error:
            return _refuse(400, "malformed", str(error))
        if parsed is None:
            return _refuse(503, "starting", "the service is starting; resend the delivery")
        delivery, decided = parsed
        return await self.record(delivery, decided, started)

    def parse(self, raw: bytes, headers: dict[str, str]) -> tuple[Delivery, Triage] | None:
        """The delivery to record and its triage; None while the service is starting.

        Linear in the body's size; run in a worker thread for large bodies.
        """
        service = self.service
        text, payload = json_body(raw)
        delivery = delivery_of(headers, text, payload)
        if service.context is None:
            return None
        decided = triage(service.router, service.context, delivery.kind, payload)
        return recorded(delivery, decided), decided

    async def _read(self, receive: Receive, limit: int) -> bytes:
        # asyncio.timeout rather than wait_for: no task per request on the hot path.
        async with asyncio.timeout(self.service.settings.body_timeout_seconds):
            return await _body(receive, limit)

    async def record(self, delivery: Delivery, decided: Triage, started: float) -> Answer:
        service = self.service
        if service.batcher is None:
            return _refuse(503, "starting", "the service is starting; resend the delivery")
        try:
            outcome = await service.batcher.submit(delivery)
        except Exception:
            log.exception("could not record a delivery", delivery=delivery.key)
            return _refuse(503, "unrecorded", "the delivery could not be recorded; resend it")
        kind = kind_label(delivery.kind)
        if outcome == CONFLICT:
            log.warning("idempotency key reused with another body", delivery=delivery.key)
            return _refuse(409, "key_reused", "this Idempotency-Key came with another body")
        _counter(EVENTS_RECEIVED, kind).inc()
        if outcome != FRESH:
            _counter(EVENTS_DEDUPLICATED, kind).inc()
        elif not decided.wanted:
            _counter(EVENTS_IGNORED, kind).inc()
            _counter(EVENTS_UNHANDLED, kind, decided.code).inc()
        ACK_SECONDS.observe(time.perf_counter() - started)
        answer: dict[str, Any] = {"delivery": delivery.key, "duplicate": outcome != FRESH}
        if not decided.wanted:
            answer["ignored"] = decided.reason
        return Answer(202, answer)


@lru_cache(maxsize=1024)
def _counter(metric: Counter, *labels: str) -> Any:
    """A metric's child for these label values, looked up once (labels take known values
    only, so the cache stays small); `labels()` costs microseconds on the hot path."""
    return metric.labels(*labels)


async def _body(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body.extend(message.get("body", b""))
        if len(body) > limit:
            raise TooLarge
        if not message.get("more_body", False):
            break
    return bytes(body)


def _refuse(status: int, reason: str, message: str, *, close: bool = False) -> Answer:
    EVENTS_REJECTED.labels(reason=reason).inc()
    return Answer(status, {"message": message}, close)
