"""One GitLab client per URL and token, shared by every caller of the process.

The client holds what must exist once: the HTTP connection pools, the pacing windows of the
token's owner (GitLab counts its limits per user, not per connection), the metrics hook and the
instance's capabilities. A `Connection` is one caller's handle on it: python-gitlab REST and
GraphQL objects that count their own requests and may carry headers of their own.

Two rules hold for every request of every handle:

- it goes to the configured GitLab and nowhere else: a request, a pagination link
  (`Link: rel=next`) or a redirect that points at another origin is refused before anything is
  sent, so the token never leaves for another host (python-gitlab's `keep_base_url` rewrites
  GitLab's own links to the configured URL first);
- a POST is never retried blindly: python-gitlab's transient-error retries are off for it, and
  the callers look for the object before trying again (`rest.create_once`). A 429 is retried
  after `Retry-After` (GitLab refused the request, so nothing was written), and that wait holds
  every window of the token's owner.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import gitlab
import httpx
import requests
from requests.adapters import HTTPAdapter

from bot.gitlab.capabilities import CapabilityCache
from bot.gitlab.errors import GitLabError
from bot.gitlab.limits import MARGIN, Limits, MakeWindow, Pace, Window, limits_for, on_gitlab_com
from bot.gitlab.memory import Memory

EVENT_HEADER = "X-Gitlab-Event-UUID"
POOL = 32
"""Connections kept per client: every worker of the process shares them."""
_ISSUE_CREATE = re.compile(r"/api/v4/projects/[^/]+/issues/?(\?|$)")
_NOTE_CREATE = re.compile(r"/api/v4/projects/[^/]+/(issues|merge_requests)/[^/]+/notes/?(\?|$)")
_PROJECT = re.compile(r"/api/v4/projects/([^/?]+)")


class ForeignURL(GitLabError):
    """A request, pagination link or redirect that would take the token to another host."""


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


@dataclass
class Pacing:
    """The windows every request of one token's owner passes through, and a count of them."""

    limits: Limits
    share: MakeWindow | None = None
    """Where windows with a limit are kept across instances (a shared PostgreSQL database)."""
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _projects: dict[str, Pace] = field(default_factory=dict)
    _issues: dict[str, Pace] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.any = self._window("any", self.limits.requests_per_minute, self.limits.requests_period)
        self.notes = self._window("notes", self.limits.notes_per_minute)

    def _window(self, name: str, limit: int | None, period: float = 60.0) -> Pace:
        if limit is None or self.share is None:
            return Window(limit, period)
        return self.share(name, limit, period)

    def project(self, ref: str) -> Pace:
        with self._lock:
            if ref not in self._projects:
                limit = self.limits.project_requests_per_minute
                self._projects[ref] = self._window(f"project:{ref}", limit)
            return self._projects[ref]

    def issues(self, ref: str) -> Pace:
        """The issue and epic creation window of one project (or group, for epics): GitLab
        applies that limit "independently per project and per user"
        (`GL:doc/administration/settings/rate_limit_on_issues_creation.md`)."""
        with self._lock:
            if ref not in self._issues:
                self._issues[ref] = self._window(f"issues:{ref}", self.limits.issues_per_minute)
            return self._issues[ref]

    def windows(self) -> list[Pace]:
        with self._lock:
            return [self.any, self.notes, *self._projects.values(), *self._issues.values()]

    def before(self, method: str, url: str, body: bytes | str | None = None) -> list[Pace]:
        """Wait for room in every window the request counts in; returns them, for `done`."""
        windows = []
        post = method.upper() == "POST"
        project = _PROJECT.search(url)
        if post and _creates_issue(url, body):
            windows.append(self.issues(project[1] if project else _namespace_of(body)))
        if post and (_NOTE_CREATE.search(url) or _mutates(url, body, "createNote")):
            windows.append(self.notes)
        if project:
            windows.append(self.project(project[1]))
        windows.append(self.any)
        for window in windows:
            window.acquire()
        with self._lock:
            self.requests += 1
        return windows

    @staticmethod
    def done(windows: list[Pace]) -> None:
        """The request's answer came back (or it failed): it counts for a period from now."""
        for window in windows:
            window.release()

    def after(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from GitLab's answer: on a 429, hold every window for as long as it asks; a
        `RateLimit-Limit` stricter than the settings' paces the requests from now on; a quota
        used up (`RateLimit-Remaining: 0`) holds them until `RateLimit-Reset`
        (`GL:doc/administration/settings/user_and_ip_rate_limits.md`, "Response headers":
        the quota is per minute, the reset a Unix time). Other instances with the same token
        use up the same quota, so the headers also tell of their requests."""
        if status == 429:
            seconds = _retry_after(headers)
            for window in self.windows():
                window.hold(seconds)
            return
        quota = _header_int(headers, "RateLimit-Limit")
        if quota is not None and quota > 0:
            self.any.learn(max(int(quota * MARGIN), 1), 60.0)
        if _header_int(headers, "RateLimit-Remaining") == 0:
            reset = _header_int(headers, "RateLimit-Reset")
            if reset is not None:
                # at most a minute: the quota is a minute's, and a clock apart from
                # GitLab's (or a stand-in's simulated one) must not hold the bot for long
                self.any.hold(min(max(reset - time.time(), 0.0), 60.0))


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_NAMESPACE = re.compile(r'"(?:namespacePath|projectPath|fullPath)"\s*:\s*"([^"]{1,255})"')


def _namespace_of(body: bytes | str | None) -> str:
    """The group or project a GraphQL create names, as the key of its creation window."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body or ""
    found = _NAMESPACE.search(text)
    return found[1] if found else ""


def _retry_after(headers: Mapping[str, str]) -> float:
    for name in ("Retry-After", "retry-after"):
        if name in headers:
            try:
                return max(0.0, float(headers[name]))
            except ValueError:
                break
    return 1.0


def _mutates(url: str, body: bytes | str | None, name: str) -> bool:
    if not url.endswith("/api/graphql") or not body:
        return False
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    return "mutation" in text and name in text


def _creates_issue(url: str, body: bytes | str | None) -> bool:
    return bool(_ISSUE_CREATE.search(url)) or _mutates(url, body, "workItemCreate")


class GuardedSession(requests.Session):
    """A requests session that only talks to one origin and paces every request it sends."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self.client.check(str(url))
        pacing = self.client.pacing
        windows = pacing.before(str(method), str(url))
        try:
            response = super().request(method, url, *args, **kwargs)
        finally:
            pacing.done(windows)
        pacing.after(response.status_code, response.headers)
        self.client.observed(response.status_code)
        return response

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        """Called on each redirect: one to another origin is refused, the token never follows."""
        self.client.check(str(prepared_request.url))
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]


class _PacedTransport(httpx.BaseTransport):
    """httpx's side of `GuardedSession`: one origin, and every request paced until answered."""

    def __init__(self, client: Client, inner: httpx.BaseTransport) -> None:
        self.client = client
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.client.check(str(request.url))
        pacing = self.client.pacing
        windows = pacing.before(request.method, str(request.url), request.content)
        try:
            response = self.inner.handle_request(request)
        finally:
            pacing.done(windows)
        pacing.after(response.status_code, response.headers)
        self.client.observed(response.status_code)
        return response

    def close(self) -> None:
        self.inner.close()


class Client:
    """Everything that exists once per GitLab URL and token in a process."""

    def __init__(self, url: str, token: str, limits: Limits, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.pacing = Pacing(limits)
        self.session = GuardedSession(self)
        self.http = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "User-Agent": gitlab.const.USER_AGENT},
            timeout=timeout,
            transport=_PacedTransport(
                self, httpx.HTTPTransport(limits=httpx.Limits(max_connections=POOL))
            ),
            follow_redirects=False,
        )
        self.memory = Memory()
        """What the process remembers of each engagement between reads (the sweep's probe)."""
        self.capabilities = CapabilityCache()
        """What the instance can do (per group where GitLab.com's plans are per group)."""
        self.lock = threading.Lock()
        self._observer: Callable[[int], None] | None = None

    def check(self, url: str) -> None:
        if origin(url) != origin(self.url) or not url.startswith(self.url + "/"):
            raise ForeignURL(
                f"refused to send the GitLab token to {origin(url)[1] or url}: only {self.url} "
                "is configured (a redirect or pagination link pointed elsewhere)"
            )

    def observe(self, callback: Callable[[int], None] | None) -> None:
        """The one metrics hook: called with each response's status code."""
        self._observer = callback

    def observed(self, status: int) -> None:
        if self._observer is not None:
            self._observer(status)

    def connection(self, event_uuid: str | None = None) -> Connection:
        return Connection(self, event_uuid)


class _Rest(gitlab.Gitlab):
    """python-gitlab over the shared session: counts its requests, never retries a POST."""

    sent = 0

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if verb.lower() == "post":
            kwargs["retry_transient_errors"] = False
        self.sent += 1
        return super().http_request(verb, path, *args, **kwargs)


class _GraphQL(gitlab.GraphQL):
    sent = 0

    def execute(self, request: str, *args: Any, **kwargs: Any) -> Any:
        self.sent += 1
        return super().execute(request, *args, **kwargs)


class Connection:
    """One caller's handle on the shared client."""

    def __init__(self, client: Client, event_uuid: str | None = None) -> None:
        self.client = client
        self.url = client.url
        self.rest = _Rest(
            client.url,
            private_token=client.token,
            timeout=client.timeout,
            retry_transient_errors=True,
            keep_base_url=True,
            session=client.session,
        )
        if event_uuid:
            self.rest.headers[EVENT_HEADER] = event_uuid
        self.graphql = _GraphQL(client.url, client=client.http, retry_transient_errors=True)
        self.graphql_once = _GraphQL(client.url, client=client.http, retry_transient_errors=False)
        """For mutations: no blind retry of transient errors (the caller looks before retrying)."""

    @property
    def pacing(self) -> Pacing:
        return self.client.pacing

    @property
    def requests(self) -> int:
        """Requests this handle made (the client's pacing counts every handle's)."""
        return self.rest.sent + self.graphql.sent + self.graphql_once.sent


_CLIENTS: dict[tuple[str, str], Client] = {}
_REGISTRY = threading.Lock()


def client_for(
    url: str, token: str, *, limits: Limits | None = None, timeout: float = 30.0
) -> Client:
    """The process's client for this GitLab and token (made on first use)."""
    key = (url.rstrip("/"), hashlib.sha256(token.encode()).hexdigest())
    with _REGISTRY:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = Client(url, token, limits or limits_for(url), timeout)
        elif limits is not None and limits != client.pacing.limits:
            client.pacing = Pacing(limits)
        return client


def instance_limits(client: Client) -> Limits | None:
    """The limits the instance's own settings set, where the token may read them (`GET
    /application/settings` answers administrators only, `GL:doc/api/settings.md`)."""
    try:
        answer = client.http.get(f"{client.url}/api/v4/application/settings")
    except httpx.HTTPError:
        return None
    if answer.status_code != 200:
        return None
    found = answer.json()
    return Limits.from_application_settings(found) if isinstance(found, dict) else None


def paced_client(
    url: str,
    token: str,
    mode: str,
    custom: Mapping[str, int | None] | None = None,
    share: MakeWindow | None = None,
) -> Client:
    """The process's client for `url` and `token`, paced under `mode` (`limits.MODES`): on a
    self-managed instance in `instance` mode, by its own settings when the token may read
    them, else by GitLab's self-managed defaults. With `share`, its windows are kept where
    every instance of the bot counts in them (`bot/gitlab/shared.py`)."""
    limits = limits_for(url, mode, custom)
    client = client_for(url, token, limits=limits)
    if mode == "instance" and not on_gitlab_com(url):
        limits = instance_limits(client) or limits
    client.pacing = Pacing(limits, share)
    return client


def owner_key(url: str, token: str) -> str:
    """Who a client's windows belong to, without the token: the URL and the token's digest."""
    return f"{url.rstrip('/')}#{hashlib.sha256(token.encode()).hexdigest()[:16]}"


def forget(url: str | None = None) -> None:
    """Drop the clients of `url` (all without one): the instance behind it changed, so its
    capabilities must be read again (tests that switch a sandbox's tier use it)."""
    with _REGISTRY:
        for key in [key for key in _CLIENTS if url is None or key[0] == url.rstrip("/")]:
            _CLIENTS.pop(key).http.close()


def open_connection(
    url: str,
    token: str,
    *,
    event_uuid: str | None = None,
    forward_event_uuid: bool = False,
    limits: Limits | None = None,
    pool: int = 16,
    timeout: float = 30.0,
) -> Connection:
    """A handle on the shared client for `url` and `token`.

    The incoming event's UUID is not forwarded unless asked: GitLab's recursion detection
    would then let each hook fire at most once for it, silencing the customer's own hooks
    for all but the first write (`GL:doc/administration/instance_limits.md`). The bot
    recognises its own events by their author instead.
    """
    del pool  # the pools are the client's, sized for every worker of the process
    client = client_for(url, token, limits=limits, timeout=timeout)
    return client.connection(event_uuid if forward_event_uuid else None)
