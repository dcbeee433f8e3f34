"""Client-side pacing under the documented limits of the instance in front of the bot.

Sources: `GL:doc/user/gitlab_com/rate_limits.md` (GitLab.com),
`GL:doc/administration/settings/rate_limit_on_issues_creation.md` and
`GL:doc/administration/settings/rate_limit_on_notes_creation.md` (self-managed: issue and
epic creation unlimited unless an administrator sets a limit, notes 300 a minute by default).

GitLab.com allows, per user (the token's owner, not the connection): 2,000 authenticated API
requests a minute, 200 issue creations a minute, 60 note creations a minute on issues and merge
requests, and 400 requests a minute to one project (`/api/v4/projects/:id...`). The bot keeps a
margin below each, so a large engagement slows down instead of meeting 429s; when GitLab still
answers 429, its `Retry-After` holds every window of that user until the time has passed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


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


MODES = ("instance", "gitlab.com", "self-managed", "none")
"""How the bot chooses its limits: `instance` by the host in front of it (GitLab.com's for
gitlab.com, GitLab's self-managed defaults elsewhere), or one profile for every instance."""


@dataclass(frozen=True)
class Limits:
    """Requests a minute per user the bot allows itself; `None` paces nothing on that count."""

    requests_per_minute: int | None = 1_800
    issues_per_minute: int | None = 180
    notes_per_minute: int | None = 54
    project_requests_per_minute: int | None = 360

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
    def unpaced(cls) -> Limits:
        """No pacing at all (tests and the demo against the stand-in); 429s are still waited
        out."""
        return cls(None, None, None, None)


def limits_for(url: str, mode: str = "instance") -> Limits:
    """The limits to pace requests to `url` by, under one of `MODES`."""
    if mode not in MODES:
        raise ValueError(f"rate limits must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "none":
        return Limits.unpaced()
    if mode == "gitlab.com":
        return Limits.gitlab_com()
    if mode == "self-managed":
        return Limits.self_managed()
    host = urlsplit(url).hostname or ""
    on_com = host == "gitlab.com" or host.endswith(".gitlab.com")
    return Limits.gitlab_com() if on_com else Limits.self_managed()
