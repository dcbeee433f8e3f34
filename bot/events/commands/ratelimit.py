"""A per-user sliding window: at most `limit` commands in any `period` seconds."""

from __future__ import annotations

import threading
from collections import defaultdict, deque


class RateLimit:
    def __init__(self, limit: int, period: float = 60.0) -> None:
        self.limit = limit
        self.period = period
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, user: str, now: float) -> float:
        """Take one slot for `user` and return 0, or return the seconds until one frees up."""
        with self._lock:
            seen = self._seen[user]
            while seen and seen[0] <= now - self.period:
                seen.popleft()
            if len(seen) >= self.limit:
                return seen[0] + self.period - now
            seen.append(now)
            return 0.0
