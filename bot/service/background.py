"""A daemon thread with a stop and a wake-up: the shape of the service's background loops.

The dispatcher, the label sweep and the portfolio keeper each run one `_loop` on their own
thread; `stop` ends it (cutting any wait short) and `wake` cuts a wait on `_wake` short.
"""

from __future__ import annotations

import threading


class Background:
    def __init__(self, name: str) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
