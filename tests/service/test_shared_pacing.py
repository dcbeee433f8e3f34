"""Instances sharing a PostgreSQL database share GitLab's limits (issue #20, item 2).

The windows run on a scaled clock: a limit of 5 in half a second stands for GitLab's minute,
so pacing is seen at work without waiting on a real one.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.gitlab.connection import Pacing, owner_key
from bot.gitlab.limits import Limits, Window
from bot.gitlab.shared import SharedWindow, shared_windows
from bot.service.store import engine_url

LIMIT, PERIOD = 5, 0.5
LATENCY = 0.01


def burst(windows: list, requests_each: int, threads_each: int = 3) -> list[float]:
    """Each window's requests sent from several threads at once; when the server saw each."""
    seen: list[float] = []
    lock = threading.Lock()

    def send(window) -> None:
        window.acquire()
        time.sleep(LATENCY / 2)
        with lock:
            seen.append(time.monotonic())
        time.sleep(LATENCY / 2)
        window.release()

    with ThreadPoolExecutor(max_workers=threads_each * len(windows)) as pool:
        jobs = [pool.submit(send, w) for w in windows for _ in range(requests_each)]
        for job in jobs:
            job.result()
    return sorted(seen)


def most_in_a_period(seen: list[float]) -> int:
    return max(sum(1 for t in seen if start <= t < start + PERIOD) for start in seen)


def test_two_instances_on_one_database_stay_within_one_limit_together(pg_url):
    url = engine_url(pg_url)
    owner = owner_key("https://gitlab.example.com", "the-bots-token")
    # two instances: each its own engine and its own window object, one table between them
    one = shared_windows(url, owner)("any", LIMIT, PERIOD)
    two = shared_windows(url, owner)("any", LIMIT, PERIOD)
    started = time.monotonic()
    seen = burst([one, two], requests_each=10)
    assert len(seen) == 20
    assert most_in_a_period(seen) <= LIMIT
    assert time.monotonic() - started >= (20 / LIMIT - 1) * PERIOD
    assert one.count() <= LIMIT


def test_windows_of_another_token_or_name_do_not_count_together(pg_url):
    url = engine_url(pg_url)
    mine = shared_windows(url, owner_key("https://g.example", "a"))
    theirs = shared_windows(url, owner_key("https://g.example", "b"))
    for window in (mine("any", 2, 60.0), theirs("any", 2, 60.0), mine("notes", 2, 60.0)):
        started = time.monotonic()
        window.acquire()
        window.release()
        window.acquire()
        window.release()
        assert time.monotonic() - started < 5, "each window has its own room"
        assert window.count() == 2


def test_without_sharing_two_instances_would_send_twice_the_limit():
    """What the shared window prevents: each instance alone keeps to the limit, together not."""
    seen = burst([Window(LIMIT, PERIOD), Window(LIMIT, PERIOD)], requests_each=5)
    assert most_in_a_period(seen) == 2 * LIMIT


def test_a_request_whose_instance_died_stops_counting(pg_url, monkeypatch):
    monkeypatch.setattr("bot.gitlab.shared.STALE", 0.2)
    make = shared_windows(engine_url(pg_url), "owner")
    window = make("any", 1, 0.2)
    window.acquire()  # never released: its instance was killed mid-request
    started = time.monotonic()
    other = make("any", 1, 0.2)
    other.acquire()
    other.release()
    assert 0.2 <= time.monotonic() - started < 5


def test_pacing_shares_only_the_windows_that_have_a_limit(pg_url):
    make = shared_windows(engine_url(pg_url), "owner")
    pacing = Pacing(Limits(None, 3, None, None), make)
    assert isinstance(pacing.any, Window) and isinstance(pacing.notes, Window)
    assert isinstance(pacing.issues("7"), SharedWindow)
    assert isinstance(pacing.project("7"), Window)
    windows = pacing.before("POST", "http://h/api/v4/projects/7/issues")
    pacing.done(windows)
    assert pacing.issues("7").count() == 1


@pytest.mark.parametrize("learnt", [(2, 60.0), (600, 60.0)])
def test_a_shared_window_learns_only_a_stricter_limit(pg_url, learnt):
    window = shared_windows(engine_url(pg_url), "owner")("any", 10, 60.0)
    window.learn(*learnt)
    assert window.limit == min(10, learnt[0])
