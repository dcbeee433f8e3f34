"""A per-user sliding window: at most `limit` commands in any `period` seconds.

Every command line a user writes takes a slot, whether it then runs, is refused for the
user's role, names no command or is itself over the limit: the limit is on what the bot
must read and answer, not only on what it carries out. Callers therefore take the slot
(`wait`) before any other check.
"""

from __future__ import annotations

import threading
from collections import deque

MAX_USERS = 10_000
"""Users remembered at once; the idlest are forgotten first (their windows have emptied)."""


class RateLimit:
    def __init__(self, limit: int, period: float = 60.0) -> None:
        self.limit = limit
        self.period = period
        self._seen: dict[str, deque[float]] = {}
        self._told: dict[str, float] = {}
        """When each user was last told they are over the limit."""
        self._lock = threading.Lock()

    def wait(self, user: str, now: float) -> float:
        """Take one slot for `user` and return 0, or return the seconds until one frees up."""
        with self._lock:
            seen = self._seen.pop(user, None) or deque()
            self._seen[user] = seen  # most recently seen last, for forgetting the idlest
            while seen and seen[0] + self.period <= now:
                seen.popleft()
            if len(seen) >= self.limit:
                return seen[0] + self.period - now
            seen.append(now)
            while len(self._seen) > MAX_USERS:
                del self._seen[next(iter(self._seen))]
            return 0.0

    def told(self, user: str, now: float) -> None:
        """`user` was answered that they are over the limit."""
        with self._lock:
            self._told.pop(user, None)
            self._told[user] = now
            while len(self._told) > MAX_USERS:
                del self._told[next(iter(self._told))]

    def silent(self, user: str, now: float) -> bool:
        """True while `user` is over the limit and was told so since it filled: a further
        comment of theirs is dropped without a request to GitLab (no read, award or reply),
        so a flood costs the bot nothing and delays nobody else's commands."""
        with self._lock:
            seen = self._seen.get(user)
            told = self._told.get(user)
            if not seen or told is None:
                return False
            live = [t for t in seen if t + self.period > now]
            return len(live) >= self.limit and told >= live[0]

    def remaining(self, user: str, now: float) -> int:
        """Slots `user` still has in the window ending `now` (nothing is taken)."""
        with self._lock:
            seen = self._seen.get(user, ())
            return max(0, self.limit - sum(1 for t in seen if t + self.period > now))
