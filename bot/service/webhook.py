"""POST /webhook as plain ASGI, ahead of FastAPI's routing: the hot path of the service.

Each delivery is verified, bounded, parsed, routed (does any handler want it?) and handed to
the group-commit batcher; the 202 goes out only after its batch is committed. Skipping the
framework's routing and dependency machinery for this one endpoint roughly halves the CPU a
delivery costs (measured with bench/intake.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.service.intake import authentic, delivery_of
from bot.service.metrics import (
    ACK_SECONDS,
    EVENTS_DEDUPLICATED,
    EVENTS_IGNORED,
    EVENTS_RECEIVED,
    EVENTS_REJECTED,
)

if TYPE_CHECKING:
    from bot.service.app import Service

PATH = "/webhook"
log = structlog.get_logger("psdm.webhook")


class TooLarge(Exception):
    pass


class WebhookIntake:
    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status, answer = await self.accept(scope, receive)
        body = json.dumps(answer, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def accept(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        started = time.perf_counter()
        settings = self.service.settings
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        limit = settings.max_body_bytes
        try:
            if int(headers.get("content-length") or 0) > limit:
                raise TooLarge
            raw = await _body(receive, limit)
        except TooLarge:
            return _refuse(413, "payload too large", f"the body exceeds {limit} bytes")
        if not authentic(raw, headers, settings.webhook_secrets, settings.signing_secrets):
            return _refuse(401, "unauthenticated", "missing or wrong X-Gitlab-Token or signature")
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _refuse(400, "malformed", "the body is not JSON")
        if not isinstance(payload, dict):
            return _refuse(400, "malformed", "the body is not a JSON object")
        service = self.service
        if service.batcher is None or service.workflows is None:
            return _refuse(503, "starting", "the service is starting; resend the delivery")
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
        return 202, {"delivery": delivery.key, "duplicate": not fresh}


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


def _refuse(status: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
    EVENTS_REJECTED.labels(reason=reason).inc()
    return status, {"message": message}
