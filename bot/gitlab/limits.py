"""Client-side pacing under GitLab.com's documented limits: requests and issue creations per minute.

GitLab.com allows 2,000 authenticated API requests and 200 issue creations per user and minute.
The bot keeps a margin below both, so a large engagement slows down instead of meeting 429s.
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

    def acquire(self) -> float:
        """Record one event, waiting first if the window is full; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._events and now - self._events[0] >= self.period:
                    self._events.popleft()
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
