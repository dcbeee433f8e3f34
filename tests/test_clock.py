"""The bot's clock (`bot/clock.py`): set, moved, followed."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.clock import SYSTEM, FollowingClock, SettableClock


def test_the_system_clock_tells_real_time_in_utc():
    before = datetime.now(UTC)
    moment = SYSTEM.now()
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert before <= moment <= datetime.now(UTC)
    assert SYSTEM.today() == moment.date() or SYSTEM.today() == datetime.now(UTC).date()


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 1, 5), datetime(2026, 1, 5, tzinfo=UTC)),
        (datetime(2026, 1, 5, 9, 30), datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
        (
            datetime(2026, 1, 5, 1, 0, tzinfo=timezone(timedelta(hours=3))),
            datetime(2026, 1, 4, 22, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_settable_clock_starts_where_it_is_set_in_utc(start, expected):
    clock = SettableClock(start)
    assert clock.now() == expected
    assert clock.today() == expected.date()


def test_a_settable_clock_stays_frozen_and_moves_only_when_told():
    clock = SettableClock(date(2026, 1, 5))
    time.sleep(0.01)
    assert clock.now() == datetime(2026, 1, 5, tzinfo=UTC)
    assert clock.advance(timedelta(weeks=14)) == datetime(2026, 4, 13, tzinfo=UTC)
    assert clock.today() == date(2026, 4, 13)
    clock.set(date(2027, 2, 1))
    assert clock.today() == date(2027, 2, 1)


def test_a_running_settable_clock_goes_on_from_where_it_was_set():
    clock = SettableClock(datetime(2026, 1, 5, 12, tzinfo=UTC), running=True)
    first = clock.now()
    time.sleep(0.02)
    second = clock.now()
    assert datetime(2026, 1, 5, 12, tzinfo=UTC) <= first < second
    assert second - first < timedelta(seconds=5)


def test_a_following_clock_asks_on_every_call():
    moments = iter([datetime(2026, 3, 1, 23, 59), datetime(2026, 3, 2, 0, 1)])
    clock = FollowingClock(lambda: next(moments))
    assert clock.today() == date(2026, 3, 1)
    assert clock.now() == datetime(2026, 3, 2, 0, 1, tzinfo=UTC)
