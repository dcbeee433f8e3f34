"""What the process remembers of each engagement between reads, so a pass that finds nothing
changed asks GitLab almost nothing.

Held by the client (one per GitLab URL and token), in memory only: a restarted process, or
another instance sharing the database, starts with nothing remembered and reads in full. Every
entry is tied to GitLab's own `updated_at`, never to the bot's clock, so a GitLab whose clock
differs (or the stand-in's simulated one) is compared with itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.domain.metrics import IssueHistory
from bot.domain.model import LiveEngagement

MARGIN = timedelta(minutes=1)
"""How far before the latest change last seen a probe looks again: a change that GitLab stamped
just before the last read but committed after it still shows up."""

T = TypeVar("T")


@dataclass(frozen=True)
class Remembered:
    """One project as the last full read saw it."""

    info: dict[str, Any]
    """The project as `GET /projects/:id` answered."""
    live: LiveEngagement
    parts: frozenset[str]
    issues: dict[int, str]
    """`updated_at` of each issue, by iid."""
    latest: datetime | None
    """The latest `updated_at` among the issues: where the next probe starts (less MARGIN)."""


class Stamped(Generic[T]):
    """Values read per (project, issue), kept while the issue's `updated_at` stays the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, int], tuple[str, T]] = {}

    def get(self, project: str, iid: int, stamp: str) -> T | None:
        with self._lock:
            kept = self._kept.get((project, iid))
        return kept[1] if kept is not None and kept[0] == stamp else None

    def put(self, project: str, iid: int, stamp: str, value: T) -> None:
        with self._lock:
            self._kept[(project, iid)] = (stamp, value)


class Memory:
    """The process's memory of the engagements it read, by project id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._projects: dict[str, Remembered] = {}
        self.milestone_events: Stamped[list[dict[str, Any]]] = Stamped()
        """Each issue's resource milestone events, as last read."""
        self.histories: Stamped[IssueHistory] = Stamped()
        """Each closed issue's history (`bot/gitlab/history.py`), as last read."""
        self.closes_asked: set[str] = set()
        """Projects whose closed milestones this process asked for at least once."""

    def project(self, key: str) -> Remembered | None:
        with self._lock:
            return self._projects.get(key)

    def keep(self, key: str, remembered: Remembered) -> None:
        with self._lock:
            self._projects[key] = remembered
            self._projects[str(remembered.live.project.id)] = remembered

    def forget(self, key: str) -> None:
        with self._lock:
            self._projects.pop(key, None)
