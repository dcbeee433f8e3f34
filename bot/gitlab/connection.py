"""One authenticated connection to GitLab: python-gitlab REST and GraphQL, paced and counted."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import gitlab
import httpx
import requests
from requests.adapters import HTTPAdapter

from bot.gitlab.limits import Limits, Window

EVENT_HEADER = "X-Gitlab-Event-UUID"
_ISSUE_CREATE = re.compile(r"/api/v4/projects/[^/]+/issues/?(\?|$)")


@dataclass
class Pacing:
    """The two windows every request passes through, and a count of requests sent."""

    limits: Limits
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.any = Window(self.limits.requests_per_minute)
        self.issues = Window(self.limits.issues_per_minute)

    def before(self, method: str, url: str, body: bytes | str | None = None) -> None:
        if method.upper() == "POST" and _creates_issue(url, body):
            self.issues.acquire()
        self.any.acquire()
        with self._lock:
            self.requests += 1


def _creates_issue(url: str, body: bytes | str | None) -> bool:
    if _ISSUE_CREATE.search(url):
        return True
    if url.endswith("/api/graphql") and body:
        text = body.decode() if isinstance(body, bytes) else body
        return "workItemCreate" in text
    return False


class PacedSession(requests.Session):
    """A requests session that waits for the pacing windows before every request."""

    def __init__(self, pacing: Pacing, pool: int) -> None:
        super().__init__()
        self.pacing = pacing
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self.pacing.before(str(method), str(url))
        return super().request(method, url, *args, **kwargs)


@dataclass
class Connection:
    url: str
    rest: gitlab.Gitlab
    graphql: gitlab.GraphQL
    graphql_once: gitlab.GraphQL
    """For mutations: no blind retry of transient errors (the caller looks before retrying)."""
    pacing: Pacing

    @property
    def requests(self) -> int:
        return self.pacing.requests


def open_connection(
    url: str,
    token: str,
    *,
    event_uuid: str | None = None,
    limits: Limits | None = None,
    pool: int = 16,
    timeout: float = 30.0,
) -> Connection:
    """REST with rate-limit obedience and transient retries; GraphQL on a paced httpx client."""
    pacing = Pacing(limits or Limits())
    rest = gitlab.Gitlab(
        url,
        private_token=token,
        timeout=timeout,
        retry_transient_errors=True,
        session=PacedSession(pacing, pool),
    )
    headers = {"Authorization": f"Bearer {token}", "User-Agent": gitlab.const.USER_AGENT}
    if event_uuid:
        rest.headers[EVENT_HEADER] = event_uuid
        headers[EVENT_HEADER] = event_uuid

    def pace(request: httpx.Request) -> None:
        pacing.before(request.method, str(request.url), request.content)

    client = httpx.Client(
        headers=headers,
        timeout=timeout,
        limits=httpx.Limits(max_connections=pool),
        event_hooks={"request": [pace]},
    )
    graphql = gitlab.GraphQL(url, client=client, retry_transient_errors=True)
    once = gitlab.GraphQL(url, client=client, retry_transient_errors=False)
    return Connection(url.rstrip("/"), rest, graphql, once, pacing)
