"""Pacing windows shared by every instance of the bot that uses one PostgreSQL database.

GitLab counts its limits per user, whichever instance sends the request; instances that each
kept their own window could together send N times the limit. So where the service runs on
PostgreSQL, every window that has a limit keeps its requests in one table: a row per request,
stamped by the database's clock when it is sent and again when its answer came back, and
counted, as the in-process `Window` counts it, from its sending until a period after its
answer. Admitting a request takes a transaction-scoped advisory lock on the window's key, so
two instances never both take the last place. A request whose answer never came (its instance
died) stops counting `STALE` seconds after it was sent.

SQLite is one process by design (`engineering.md`), so there the windows stay in-process, and
so do windows without a limit, whatever the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

STALE = 120.0
"""Seconds after which a request never released stops counting (its instance is gone)."""

metadata = sa.MetaData()
pacing_table = sa.Table(
    "psdm_pacing",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("window_key", sa.Text, nullable=False),
    sa.Column("sent_at", sa.Float, nullable=False),
    sa.Column("answered_at", sa.Float),
    sa.Index("psdm_pacing_window", "window_key", "sent_at"),
)

_NOW = sa.text("extract(epoch from clock_timestamp())::float8")


class SharedWindow:
    """At most `limit` requests in any `period` seconds, counted across every instance that
    shares the database; the same interface as `limits.Window`."""

    def __init__(
        self,
        engine: sa.Engine,
        key: str,
        limit: int,
        period: float = 60.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.key = key
        self.limit = limit
        self.period = period
        self._sleep = sleep
        self._held_until = 0.0
        self._mine = threading.local()

    def _tickets(self) -> list[int]:
        """This thread's admitted requests, newest last (a request is sent and answered on
        the thread that was admitted)."""
        tickets: list[int] | None = getattr(self._mine, "tickets", None)
        if tickets is None:
            tickets = self._mine.tickets = []
        return tickets

    def learn(self, limit: int, period: float) -> None:
        if limit / period < self.limit / self.period:
            self.limit, self.period = max(limit, 1), period

    def hold(self, seconds: float) -> None:
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    def count(self) -> int:
        """Requests of every instance in flight or answered within the last period."""
        with self.engine.begin() as db:
            now = float(db.execute(sa.select(_NOW)).scalar_one())
            return int(db.execute(self._counted(now)).one()[0])

    def _counted(self, now: float) -> Any:
        """(how many requests count now, when the first of them stops counting)."""
        t = pacing_table.c
        ends = sa.func.coalesce(t.answered_at, t.sent_at + STALE) + self.period
        return sa.select(sa.func.count(), sa.func.min(ends)).where(
            t.window_key == self.key, ends > now
        )

    def acquire(self) -> float:
        """Admit one request once the shared window has room; returns the seconds waited."""
        waited = 0.0
        while True:
            held = self._held_until - time.monotonic()
            if held > 0:
                self._sleep(held)
                waited += held
                continue
            delay = self._try()
            if delay is None:
                return waited
            self._sleep(delay)
            waited += delay

    def _try(self) -> float | None:
        """Take a place in the window (None), or say how long to wait before trying again."""
        t = pacing_table.c
        with self.engine.begin() as db:
            db.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(self.key))))
            now = float(db.execute(sa.select(_NOW)).scalar_one())
            ends = sa.func.coalesce(t.answered_at, t.sent_at + STALE) + self.period
            db.execute(sa.delete(pacing_table).where(t.window_key == self.key, ends <= now))
            count, first_end = db.execute(self._counted(now)).one()
            if count < self.limit:
                ticket = db.execute(
                    sa.insert(pacing_table).values(window_key=self.key, sent_at=now).returning(t.id)
                ).scalar_one()
                self._tickets().append(int(ticket))
                return None
        # full: room when the oldest request ages out (soon, if all are still in flight)
        return max(min(float(first_end) - now, self.period), 0.05)

    def release(self) -> None:
        """The request admitted last on this thread was answered: it counts a period on."""
        tickets = self._tickets()
        if not tickets:
            return
        ticket = tickets.pop()
        with self.engine.begin() as db:
            db.execute(
                sa.update(pacing_table)
                .where(pacing_table.c.id == ticket)
                .values(answered_at=sa.select(_NOW).scalar_subquery())
            )


def shared_windows(database_url: str, owner: str) -> Callable[[str, int, float], SharedWindow]:
    """A maker of windows shared through the PostgreSQL database at `database_url`, keyed by
    `owner` (the GitLab URL and token they pace) and each window's name."""
    engine = sa.create_engine(database_url, pool_pre_ping=True, pool_size=4, max_overflow=12)
    metadata.create_all(engine)

    def make(name: str, limit: int, period: float) -> SharedWindow:
        return SharedWindow(engine, f"{owner}:{name}", limit, period)

    return make
