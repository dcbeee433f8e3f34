from __future__ import annotations

from bot.gitlab.connection import Pacing
from bot.gitlab.limits import Limits, Window


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def sent(window: Window) -> float:
    """One request through the window, answered at once; the seconds it waited."""
    waited = window.acquire()
    window.release()
    return waited


def test_a_window_lets_the_limit_through_then_waits_for_the_oldest_to_age_out():
    clock = FakeClock()
    window = Window(3, 60.0, clock=clock, sleep=clock.sleep)
    assert [sent(window) for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now = 10.0
    assert sent(window) == 50.0
    assert clock.now == 60.0


def test_a_request_counts_from_its_sending_until_a_period_after_its_answer():
    """The server stamps a request anywhere between the two: a slow answer must not let the
    next ones crowd into the period the server counted it in."""
    clock = FakeClock()
    window = Window(2, 60.0, clock=clock, sleep=clock.sleep)
    window.acquire()
    window.acquire()
    clock.now = 30.0
    window.release()  # answered after 30 s
    clock.now = 45.0
    window.release()  # answered after 45 s
    assert window.acquire() == 45.0, "room only once the first answer is 60 s old"
    assert clock.now == 90.0


def test_a_window_never_admits_more_than_its_limit_in_any_period():
    clock = FakeClock()
    window = Window(5, 60.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(23):
        sent(window)
        times.append(clock.now)
        clock.now += 1.0
    for start in times:
        assert sum(1 for t in times if start <= t < start + 60.0) <= 5


def test_pacing_counts_every_request_and_issue_creations_separately():
    pacing = Pacing(Limits(requests_per_minute=100, issues_per_minute=2))
    pacing.before("GET", "http://h/api/v4/projects/1/issues")
    pacing.before("POST", "http://h/api/v4/projects/g%2Fp/issues")
    pacing.before("POST", "http://h/api/v4/projects/1/issues/4/links")
    pacing.before("POST", "http://h/api/graphql", b'{"query": "mutation { workItemCreate }"}')
    assert pacing.requests == 4
    assert pacing.issues.count() == 2


def test_note_creations_and_each_projects_requests_have_their_own_windows():
    pacing = Pacing(Limits(notes_per_minute=10, project_requests_per_minute=10))
    pacing.before("POST", "http://h/api/v4/projects/7/issues/3/notes")
    pacing.before("POST", "http://h/api/v4/projects/7/merge_requests/3/notes?x=1")
    pacing.before("POST", "http://h/api/v4/groups/2/epics/3/notes")  # not an issue or MR note
    pacing.before("GET", "http://h/api/v4/projects/8/issues")
    pacing.before(
        "POST", "http://h/api/graphql", b'{"query": "mutation { createNote(input: {}) { note } }"}'
    )
    assert pacing.notes.count() == 3
    assert pacing.project("7").count() == 2
    assert pacing.project("8").count() == 1


def test_a_429_holds_every_window_for_as_long_as_retry_after_says():
    clock = FakeClock()
    window = Window(100, 60.0, clock=clock, sleep=clock.sleep)
    pacing = Pacing(Limits())
    pacing.any = window
    pacing.after(429, {"Retry-After": "7"})
    assert sent(window) == 7.0
    assert sent(window) == 0.0
    pacing.after(200, {"Retry-After": "30"})
    assert sent(window) == 0.0
