"""Client-side pacing under GitLab.com's documented limits.

Source: `GL:doc/user/gitlab_com/rate_limits.md`.

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


class Window:
    """At most `limit` events in any `period` seconds; `acquire` waits for room."""

    def __init__(
        self,
        limit: int,
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
        self._lock = threading.Lock()
        self._held_until = 0.0

    def hold(self, seconds: float) -> None:
        """Admit nothing for `seconds` from now (GitLab said so with `Retry-After`)."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + seconds)

    def acquire(self) -> float:
        """Record one event, waiting first if the window is full; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._events and now - self._events[0] >= self.period:
                    self._events.popleft()
                delay = self._held_until - now
                if delay <= 0:
                    if len(self._events) < self.limit:
                        self._events.append(now)
                        return waited
                    delay = self._events[0] + self.period - now
            self._sleep(delay)
            waited += delay


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int = 1_800
    issues_per_minute: int = 180
    notes_per_minute: int = 54
    project_requests_per_minute: int = 360
