"""Storage stays bounded: the inbox, the command claims, ended sessions and finished
workflows are pruned past the retention period, and confidential text once handled.

Runs on its own thread every `every_seconds`; time comes from an injected clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import structlog

from bot.service.background import Background
from bot.service.store import Store

log = structlog.get_logger("psdm.retention")
DAY = 86_400.0

PruneWorkflows = Callable[[float, Sequence[str]], int]
"""(ended before, confidential keys) -> how many workflows were deleted."""
PruneActivity = Callable[[float], int]
"""(older than) -> how many activity rows were deleted."""


class Retention(Background):
    def __init__(
        self,
        store: Store,
        *,
        days: float,
        workflows: PruneWorkflows | None = None,
        activity: PruneActivity | None = None,
        every_seconds: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.keep_seconds = days * DAY
        self.workflows = workflows
        self.activity = activity
        self.every_seconds = every_seconds
        self.clock = clock
        super().__init__("retention")

    def run_once(self) -> dict[str, int]:
        """One pruning round; how many of each kind of record went."""
        now = self.clock()
        pruned = self.store.prune(now, self.keep_seconds)
        counts = {
            "deliveries": pruned.deliveries,
            "confidential": len(pruned.confidential),
            "commands": pruned.commands,
            "sessions": pruned.sessions,
        }
        if self.workflows is not None:
            counts["workflows"] = self.workflows(now - self.keep_seconds, pruned.confidential)
        if self.activity is not None:
            counts["activity"] = self.activity(now - self.keep_seconds)
        return counts

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                counts = self.run_once()
                if any(counts.values()):
                    log.info("pruned", **counts)
            except Exception:
                log.exception("pruning failed; trying again at the next round")
            self._stop.wait(self.every_seconds)
