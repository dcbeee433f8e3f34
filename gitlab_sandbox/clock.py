"""The stand-in's one clock: real time until a test or the demo sets it.

Set (`POST /-/sandbox/clock`), it says the given moment and runs on from there at the pace of
real time, or stays frozen there. Everything that reads the time reads this clock: the
`created_at` and `updated_at` of what is written, milestones' `expired`, token expiry and the
rate-limit windows. A request's handler finds its sandbox's clock through a context variable
set for the request, so several stand-ins in one process keep their own dates.
"""

from __future__ import annotations

import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any


class SandboxClock:
    """Real time, or a simulated moment that runs on (or stays frozen) from when it was set."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0
            self._frozen: float | None = None

    @property
    def simulated(self) -> bool:
        return self._offset != 0.0 or self._frozen is not None

    @property
    def running(self) -> bool:
        return self._frozen is None

    def time(self) -> float:
        """Unix seconds, as this stand-in sees them."""
        frozen = self._frozen
        return frozen if frozen is not None else time.time() + self._offset

    def now(self) -> datetime:
        """The current moment, truncated to milliseconds as GitLab renders it."""
        moment = datetime.fromtimestamp(self.time(), UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def set(self, moment: float, *, running: bool = True) -> None:
        """Say `moment` (Unix seconds) from now on, running on from it or frozen there."""
        with self._lock:
            if running:
                self._offset, self._frozen = moment - time.time(), None
            else:
                self._offset, self._frozen = 0.0, moment

    def describe(self) -> dict[str, Any]:
        moment = self.now()
        return {
            "time": self.time(),
            "now": moment.isoformat().replace("+00:00", "Z"),
            "date": moment.date().isoformat(),
            "simulated": self.simulated,
            "running": self.running,
        }


REAL = SandboxClock()
"""Real time: the clock of code running outside any sandbox's request."""

current: ContextVar[SandboxClock] = ContextVar("sandbox_clock", default=REAL)
"""The clock of the sandbox whose request is being handled."""
