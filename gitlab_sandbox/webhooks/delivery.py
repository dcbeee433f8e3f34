"""Send webhook jobs from a thread pool, log each attempt, and back off failing hooks."""

from __future__ import annotations

import ipaddress
import json
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from ..model import Hook, HookLog
from ..state import State, now
from ..versions import full
from .emitter import Job

TIMEOUT_SECONDS = 10.0
TEMPORARY_THRESHOLD = 3
PERMANENT_THRESHOLD = 39
REDACTED = "[REDACTED]"
ANY_HOST = "*"
BLOCKED = "URL is blocked: Requests to hosts other than loopback are not allowed by the sandbox"
"""The refusal, worded like GitLab's URL blocker, whose refusals GitLab logs as an `internal
error` delivery that counts as a failure (GL:app/services/web_hook_service.rb rescues
`Gitlab::HTTP::HTTP_ERRORS`, which include `BlockedUrlError`)."""


def is_loopback(host: str) -> bool:
    """`localhost`, a `.localhost` name (RFC 6761) or a literal loopback address."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_deliver(url: str, hook_hosts: frozenset[str]) -> bool:
    """Whether the sandbox may POST to `url`: loopback always, other hosts only when named in
    `hook_hosts` (or when it holds `*`). A stand-in on a developer's machine must not send
    test payloads to hosts a test happens to name."""
    if ANY_HOST in hook_hosts:
        return True
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    return is_loopback(host) or host.lower().rstrip(".") in hook_hosts


class Deliverer:
    """Delivers outside the state lock; a reset makes jobs queued before it vanish."""

    def __init__(self, state: State, workers: int = 8, hook_hosts: Iterable[str] = ()) -> None:
        self.state = state
        self.hook_hosts = frozenset(host.lower().rstrip(".") for host in hook_hosts)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-hook")
        self.client = httpx.Client(timeout=TIMEOUT_SECONDS)
        self.delivered = 0
        self.failed = 0

    def submit(self, jobs: list[Job]) -> list[Future[HookLog | None]]:
        generation = self.state.generation
        return [self.pool.submit(self.deliver, job, generation) for job in jobs]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    def deliver(self, job: Job, generation: int) -> HookLog | None:
        """POST one job to its hook; returns the log entry, or None when the hook is gone."""
        with self.state.lock:
            hook = self.state.hooks.get(job.hook_id)
            if hook is None or generation != self.state.generation:
                return None
            url = hook.url
            headers = self._headers(hook, job)
            body = json.dumps(job.payload, separators=(",", ":"))
            if hook.signing_token:
                headers.update(self._signature(hook.signing_token, job.idempotency_key, body))
        started = time.perf_counter()
        log_headers = {
            k: (REDACTED if k == "X-Gitlab-Token" or k in _custom(hook) else v)
            for k, v in headers.items()
        }
        log = HookLog(
            id=0,
            hook_id=job.hook_id,
            url=url,
            trigger=job.trigger,
            event_header=job.event_header,
            request_headers=log_headers,
            request_data=job.payload,
            idempotency_key=job.idempotency_key,
            created_at=now(),
        )
        ok = self._post(log, url, body, headers)
        log.execution_duration = round(time.perf_counter() - started, 4)
        with self.state.lock:
            if generation != self.state.generation or job.hook_id not in self.state.hooks:
                return None
            log.id = self.state.next_id("hook_log")
            self.state.hook_logs[job.hook_id].append(log)
            self._record(self.state.hooks[job.hook_id], ok)
        return log

    def _post(self, log: HookLog, url: str, body: str, headers: dict[str, str]) -> bool:
        """Send one delivery and note its answer in `log`; True when the receiver took it."""
        if not may_deliver(url, self.hook_hosts):
            log.response_status = "internal error"
            log.internal_error_message = BLOCKED
            return False
        try:
            response = self.client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            log.response_status = "internal error"
            log.internal_error_message = str(exc) or type(exc).__name__
            return False
        log.response_status = str(response.status_code)
        log.response_headers = dict(list(response.headers.items())[:50])
        log.response_body = response.text[:8192]
        return response.status_code < 400

    def _headers(self, hook: Hook, job: Job) -> dict[str, str]:
        headers = {h["key"]: h["value"] for h in hook.custom_headers}
        headers.update(
            {
                "Content-Type": "application/json",
                "User-Agent": f"GitLab/{full(self.state.version)}",
                "X-Gitlab-Event": job.event_header,
                "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
                "X-Gitlab-Instance": job.instance,
                "X-Gitlab-Event-UUID": job.event_uuid,
                "Idempotency-Key": job.idempotency_key,
            }
        )
        if hook.token:
            headers["X-Gitlab-Token"] = hook.token.replace("\n", "").replace("\r", "")
        return headers

    @staticmethod
    def _signature(signing_token: str, message_id: str, body: str) -> dict[str, str]:
        moment = datetime.now(UTC)
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(signing_token).sign(message_id, moment, body),
        }

    def _record(self, hook: Hook, ok: bool) -> None:
        if ok:
            self.delivered += 1
            hook.recent_failures = 0
            hook.disabled_until = None
            hook.permanently_disabled = False
            return
        self.failed += 1
        if hook.kind == "system":
            return
        hook.recent_failures += 1
        if hook.recent_failures > PERMANENT_THRESHOLD:
            hook.permanently_disabled = True
            hook.disabled_until = None
        elif hook.recent_failures > TEMPORARY_THRESHOLD:
            exponent = hook.recent_failures - TEMPORARY_THRESHOLD
            backoff = min(timedelta(minutes=1) * 2.0 ** (exponent - 1), timedelta(days=1))
            hook.disabled_until = now() + backoff


def _custom(hook: Hook) -> set[str]:
    return {h["key"] for h in hook.custom_headers}
