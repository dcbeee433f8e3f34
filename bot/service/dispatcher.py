"""Moves recorded deliveries from the inbox into durable workflows.

Runs on its own thread, woken after every group commit and every second regardless (so rows
left behind by a crash, here or on another instance, are picked up). Each delivery gets one
workflow whose ID is the delivery key, so starting the same delivery twice (after a crash
between start and mark, or from two instances at once) still runs it once. Deliveries no
handler acts on never get here: intake records them as ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from bot.service.background import Background
from bot.service.metrics import BACKLOG
from bot.service.store import DISPATCHED, Delivery, Store

log = structlog.get_logger("psdm.dispatcher")


class Dispatcher(Background):
    def __init__(
        self,
        store: Store,
        start: Callable[[Delivery], None],
        *,
        poll_seconds: float = 1.0,
        batch: int = 200,
    ) -> None:
        self._store = store
        self._start = start
        self._poll = poll_seconds
        self._batch = batch
        super().__init__("dispatcher")

    def run_once(self) -> int:
        """Dispatch one batch; how many deliveries left the inbox."""
        rows = self._store.undispatched(self._batch)
        started: list[str] = []
        try:
            for delivery in rows:
                self._start(delivery)
                started.append(delivery.key)
        finally:
            self._store.mark(started, DISPATCHED)
        return len(rows)

    def _loop(self) -> None:
        counted = 0.0
        while not self._stop.is_set():
            self._wake.wait(self._poll)
            self._wake.clear()
            try:
                while self.run_once() and not self._stop.is_set():
                    pass
                if time.monotonic() - counted > 1.0:
                    BACKLOG.set(self._store.counts().get("received", 0))
                    self._store.checkpoint()
                    counted = time.monotonic()
            except Exception:
                log.exception("dispatch failed; retrying on the next round")
                self._stop.wait(self._poll)
