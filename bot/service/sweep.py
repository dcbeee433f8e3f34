"""The label sweep: every few minutes each recorded engagement's standard labels are checked.

GitLab sends no event when a label is deleted or renamed, so without the sweep a drifted
label waits for the project's next issue or milestone event. A thread wakes at every slot
boundary (wall-clock time divided into `interval` seconds) and enqueues one sweep workflow
per engagement, its ID derived from project and slot: instances sharing a database compute
the same IDs, so each project is swept once per slot however many instances run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from bot.service.background import Background
from bot.service.store import Store

log = structlog.get_logger("psdm.sweep")


def slot_of(now: float, interval: float) -> int:
    """The slot `now` falls in: its start, in whole seconds since the epoch."""
    return int(now // interval * interval)


def next_boundary(now: float, interval: float) -> float:
    return (now // interval + 1) * interval


class LabelSweep(Background):
    def __init__(
        self, store: Store, enqueue: Callable[[int, int], None], *, interval_seconds: float
    ) -> None:
        self._store = store
        self._enqueue = enqueue
        self._interval = interval_seconds
        super().__init__("label-sweep")

    def run_once(self, slot: int) -> int:
        """Enqueue every engagement's sweep for `slot`; how many engagements there are."""
        found = self._store.all_engagements()
        for engagement in found:
            self._enqueue(engagement.project_id, slot)
        return len(found)

    def _loop(self) -> None:
        done: int | None = None
        while not self._stop.is_set():
            now = time.time()
            slot = slot_of(now, self._interval)
            if slot != done:
                try:
                    swept = self.run_once(slot)
                    done = slot
                    log.info("label sweep enqueued", slot=slot, engagements=swept)
                except Exception:
                    log.exception("label sweep not enqueued; retrying shortly")
                    self._stop.wait(min(self._interval, 5.0))
                    continue
            self._stop.wait(max(next_boundary(now, self._interval) - time.time(), 0.0))
