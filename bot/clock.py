"""The one source of the date and time the bot decides on.

Every rule takes `today` or `now` as an input; this module is where that input comes from.
Production runs on `SYSTEM`, real time. Tests and the demo may run on a `SettableClock` they
move themselves, or on a `FollowingClock` that reads the date the GitLab stand-in simulates
(`PSDM_CLOCK=stand-in`, see `bot/gitlab/clock.py`), so an engagement of many weeks runs in
seconds. Times are aware and in UTC; `today()` is the UTC date of `now()`.

    clock = SettableClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    clock.advance(timedelta(weeks=1))
    clock.today()  # date(2026, 1, 12)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the bot asks the time of."""

    def now(self) -> datetime:
        """The current moment, aware, in UTC."""
        ...

    def today(self) -> date:
        """The current date in UTC."""
        ...


def _utc(moment: datetime | date) -> datetime:
    """A moment in UTC; a date means its midnight, a naive datetime is taken as UTC."""
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SystemClock:
    """Real time, as the machine tells it."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM = SystemClock()
"""The clock of production."""


class SettableClock:
    """A clock set and moved by its owner (tests, the demo). Frozen by default; with
    `running` it goes on from the moment it was set at the pace of real time."""

    def __init__(self, start: datetime | date | None = None, *, running: bool = False) -> None:
        self._lock = threading.Lock()
        self._running = running
        self._set(_utc(start) if start is not None else datetime.now(UTC))

    def _set(self, moment: datetime) -> None:
        self._at = moment
        self._since = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            if not self._running:
                return self._at
            return self._at + timedelta(seconds=time.monotonic() - self._since)

    def today(self) -> date:
        return self.now().date()

    def set(self, moment: datetime | date) -> None:
        """From now on the clock says `moment` (and runs on from it, if running)."""
        with self._lock:
            self._set(_utc(moment))

    def advance(self, by: timedelta) -> datetime:
        """Move the clock on by `by`; returns the new moment."""
        moment = self.now() + by
        self.set(moment)
        return moment


class FollowingClock:
    """A clock that asks another for the time on every call: the service following the date
    the GitLab stand-in simulates (never used against a real GitLab)."""

    def __init__(self, read: Callable[[], datetime]) -> None:
        self._read = read

    def now(self) -> datetime:
        return _utc(self._read())

    def today(self) -> date:
        return self.now().date()
