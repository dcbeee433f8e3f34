"""Client-side pacing under the documented limits of the instance in front of the bot.

Sources: `GL:doc/user/gitlab_com/rate_limits.md` (GitLab.com),
`GL:doc/administration/settings/rate_limit_on_issues_creation.md` and
`GL:doc/administration/settings/rate_limit_on_notes_creation.md` (self-managed: issue and
epic creation unlimited unless an administrator sets a limit, notes 300 a minute by default),
`GL:doc/administration/settings/user_and_ip_rate_limits.md` (the authenticated API throttle,
off by default, 7,200 requests per 3,600 s when turned on; the `RateLimit-*` headers) and
`GL:doc/api/settings.md` (an instance's own values, which administrators may read).

GitLab.com allows, per user (the token's owner, not the connection): 2,000 authenticated API
requests a minute, 200 issue creations a minute, 60 note creations a minute on issues and merge
requests, and 400 requests a minute to one project (`/api/v4/projects/:id...`). The bot keeps a
margin below each, so a large engagement slows down instead of meeting 429s; when GitLab still
answers 429, its `Retry-After` holds every window of that user until the time has passed.
Issue and epic creation is counted per project, as GitLab counts it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol
from urllib.parse import urlsplit


class Pace(Protocol):
    """A window requests wait for room in: `Window` in one process, `shared.SharedWindow`
    across the instances sharing a PostgreSQL database."""

    @property
    def limit(self) -> int | None: ...
    @property
    def period(self) -> float: ...
    def acquire(self) -> float: ...
    def release(self) -> None: ...
    def hold(self, seconds: float) -> None: ...
    def learn(self, limit: int, period: float) -> None: ...
    def count(self) -> int: ...


MakeWindow = Callable[[str, int, float], Pace]
"""Makes the window of a name, limit and period (shared across instances)."""


class Window:
    """At most `limit` requests in any `period` seconds as the server sees them; `acquire`
    waits for room. A window without a limit admits at once (it still honours `hold`).

    A request counts from the moment it is sent until `period` seconds after its answer came
    back (`release`): the server stamps it somewhere in between, so however long it waited in
    a queue on either side, no `period` of the server's clock can hold more than `limit`.
    """

    def __init__(
        self,
        limit: int | None,
        period: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._events: deque[float] = deque()
        """When the answers of released requests came back, oldest first."""
        self._in_flight = 0
        self._lock = threading.Lock()
        self._held_until = 0.0

    def learn(self, limit: int, period: float) -> None:
        """Pace by `limit` in `period` from now on, if that is stricter than what the window
        knew (GitLab's `RateLimit-Limit` told of a throttle the settings did not)."""
        with self._lock:
            if self.limit is None or limit / period < self.limit / self.period:
                self.limit, self.period = max(limit, 1), period

    def hold(self, seconds: float) -> None:
        """Admit nothing for `seconds` from now (GitLab said so with `Retry-After`)."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + seconds)

    def count(self) -> int:
        """Requests in flight and answered within the last period."""
        with self._lock:
            self._forget(self._clock())
            return self._in_flight + len(self._events)

    def acquire(self) -> float:
        """Admit one request, waiting first if the window is full; returns the seconds waited.
        Every `acquire` is followed by one `release` once the request is answered or failed."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._forget(now)
                delay = self._held_until - now
                if delay <= 0:
                    if self.limit is None or self._in_flight + len(self._events) < self.limit:
                        self._in_flight += 1
                        return waited
                    # Full: room comes when the oldest answer ages out, or, if every slot is in
                    # flight, soon after one of them is answered.
                    delay = self._events[0] + self.period - now if self._events else 0.05
            self._sleep(delay)
            waited += delay

    def release(self) -> None:
        """One admitted request was answered (or failed): it counts for a period from now."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            self._events.append(self._clock())

    def _forget(self, now: float) -> None:
        while self._events and now - self._events[0] >= self.period:
            self._events.popleft()


MODES = ("instance", "gitlab.com", "self-managed", "none", "custom")
"""How the bot chooses its limits: `instance` by the host in front of it (GitLab.com's for
gitlab.com; elsewhere the instance's own settings where the token may read them, else GitLab's
self-managed defaults), one profile for every instance, or `custom` values from the settings."""
MARGIN = 0.9
"""The share of a documented or configured limit the bot allows itself."""


@dataclass(frozen=True)
class Limits:
    """Requests a minute per user the bot allows itself; `None` paces nothing on that count."""

    requests_per_minute: int | None = 1_800
    issues_per_minute: int | None = 180
    notes_per_minute: int | None = 54
    project_requests_per_minute: int | None = 360
    requests_period: float = 60.0
    """The period `requests_per_minute` counts over (an instance's throttle may be hourly)."""

    @classmethod
    def gitlab_com(cls) -> Limits:
        """GitLab.com's limits with a 10% margin (2,000, 200, 60 and 400 a minute)."""
        return cls()

    @classmethod
    def self_managed(cls) -> Limits:
        """GitLab's self-managed defaults: the authenticated-API and issue-creation throttles
        are off until an administrator turns them on; notes are limited to 300 a minute."""
        return cls(None, None, 270, None)

    @classmethod
    def from_application_settings(cls, found: Mapping[str, Any]) -> Limits:
        """The limits an instance's application settings set (`GL:doc/api/settings.md`):
        `throttle_authenticated_api_*` (off unless enabled), `issues_create_limit` and
        `notes_create_limit` (per minute and user, 0 turns them off), less the margin."""
        requests: int | None = None
        period = 60.0
        if found.get("throttle_authenticated_api_enabled"):
            requests = _positive(found.get("throttle_authenticated_api_requests_per_period"))
            period = float(
                _positive(found.get("throttle_authenticated_api_period_in_seconds")) or 60
            )
        return cls(
            _margin(requests),
            _margin(_positive(found.get("issues_create_limit"))),
            _margin(_positive(found.get("notes_create_limit"))),
            None,
            period,
        )

    @classmethod
    def unpaced(cls) -> Limits:
        """No pacing at all (tests and the demo against the stand-in); 429s are still waited
        out."""
        return cls(None, None, None, None)

    def with_values(self, values: Mapping[str, int | None]) -> Limits:
        """These limits with the given counts (a `custom` mode's); an unknown name is an
        error, as is a count below 1 (None paces nothing on that count)."""
        known = {f.name for f in fields(self)} - {"requests_period"}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"no rate limit is called {name!r}: {', '.join(sorted(known))}")
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"rate limit {name} must be a whole number from 1, or null")
        given: dict[str, Any] = dict(values)
        return replace(self, **given)


def _positive(value: object) -> int | None:
    """A count from an outside answer: a positive int, else None (0 means "off" in GitLab)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


def _margin(limit: int | None) -> int | None:
    return None if limit is None else max(int(limit * MARGIN), 1)


def on_gitlab_com(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "gitlab.com" or host.endswith(".gitlab.com")


def limits_for(
    url: str, mode: str = "instance", custom: Mapping[str, int | None] | None = None
) -> Limits:
    """The limits to pace requests to `url` by, under one of `MODES` (without asking the
    instance: see `connection.paced_client` for that)."""
    if mode not in MODES:
        raise ValueError(f"rate limits must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "custom":
        return Limits.unpaced().with_values(custom or {})
    if mode == "none":
        return Limits.unpaced()
    if mode == "gitlab.com":
        return Limits.gitlab_com()
    if mode == "self-managed":
        return Limits.self_managed()
    return Limits.gitlab_com() if on_gitlab_com(url) else Limits.self_managed()
