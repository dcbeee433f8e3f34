from __future__ import annotations

import pytest
import respx

from bot.gitlab.connection import Pacing, forget, paced_client
from bot.gitlab.limits import Limits, Window, limits_for


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


def test_pacing_counts_every_request_and_issue_creations_per_project():
    """GL:doc/administration/settings/rate_limit_on_issues_creation.md: the issue and epic
    creation limit "is applied independently per project and per user"."""
    pacing = Pacing(Limits(requests_per_minute=100, issues_per_minute=2))
    pacing.before("GET", "http://h/api/v4/projects/1/issues")
    pacing.before("POST", "http://h/api/v4/projects/g%2Fp/issues")
    pacing.before("POST", "http://h/api/v4/projects/g%2Fp/issues")
    pacing.before("POST", "http://h/api/v4/projects/1/issues/4/links")
    pacing.before("POST", "http://h/api/v4/projects/1/issues")
    create = b'{"query": "mutation { workItemCreate }", "variables": {"namespacePath": "acme"}}'
    pacing.before("POST", "http://h/api/graphql", create)
    assert pacing.requests == 6
    assert pacing.issues("g%2Fp").count() == 2
    assert pacing.issues("1").count() == 1, "another project's creations have their own room"
    assert pacing.issues("acme").count() == 1, "a group's epics count in the group's window"


def test_a_full_project_window_does_not_hold_another_projects_creations():
    clock = FakeClock()
    pacing = Pacing(Limits(issues_per_minute=1))
    for ref in ("1", "2"):
        pacing._issues[ref] = Window(1, 60.0, clock=clock, sleep=clock.sleep)
    pacing.done(pacing.before("POST", "http://h/api/v4/projects/1/issues"))
    pacing.done(pacing.before("POST", "http://h/api/v4/projects/2/issues"))
    assert clock.now == 0.0
    pacing.done(pacing.before("POST", "http://h/api/v4/projects/1/issues"))
    assert clock.now == 60.0


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


def test_a_stricter_ratelimit_limit_header_teaches_the_client():
    """GL:doc/administration/settings/user_and_ip_rate_limits.md, "Response headers":
    `RateLimit-Limit` is the quota each minute."""
    clock = FakeClock()
    pacing = Pacing(Limits.self_managed())
    pacing.any = Window(None, 60.0, clock=clock, sleep=clock.sleep)
    pacing.after(200, {"RateLimit-Limit": "10", "RateLimit-Remaining": "9"})
    assert pacing.any.limit == 9 and pacing.any.period == 60.0
    pacing.after(200, {"RateLimit-Limit": "600"})
    assert pacing.any.limit == 9, "a looser quota never loosens the pacing"
    assert [sent(pacing.any) for _ in range(9)] == [0.0] * 9
    assert sent(pacing.any) == 60.0


def test_a_quota_used_up_holds_the_requests_until_its_reset(monkeypatch):
    clock = FakeClock()
    pacing = Pacing(Limits.unpaced())
    pacing.any = Window(None, 60.0, clock=clock, sleep=clock.sleep)
    monkeypatch.setattr("bot.gitlab.connection.time.time", lambda: 1_700_000_000.0)
    pacing.after(200, {"ratelimit-remaining": "0", "ratelimit-reset": "1700000012"})
    assert sent(pacing.any) == 12.0
    pacing.after(200, {"RateLimit-Remaining": "0", "RateLimit-Reset": "not a time"})
    assert sent(pacing.any) == 0.0


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, Limits(None, None, None, None)),
        (
            {"issues_create_limit": 0, "notes_create_limit": 300},
            Limits(None, None, 270, None),
        ),
        (
            {
                "throttle_authenticated_api_enabled": True,
                "throttle_authenticated_api_requests_per_period": 7200,
                "throttle_authenticated_api_period_in_seconds": 3600,
                "issues_create_limit": 300,
                "notes_create_limit": 300,
            },
            Limits(6480, 270, 270, None, 3600.0),
        ),
        (
            {
                "throttle_authenticated_api_enabled": False,
                "throttle_authenticated_api_requests_per_period": 10,
                "issues_create_limit": "lots",
                "notes_create_limit": -1,
            },
            Limits(None, None, None, None),
        ),
    ],
)
def test_an_instances_application_settings_give_its_limits(settings, expected):
    """GL:doc/api/settings.md: `issues_create_limit`, `notes_create_limit` (0 turns them off)
    and the authenticated API throttle, off unless enabled."""
    assert Limits.from_application_settings(settings) == expected


def test_custom_limits_come_from_the_settings_and_nothing_else():
    found = limits_for("https://gitlab.example.com", "custom", {"issues_per_minute": 25})
    assert found == Limits(None, 25, None, None)
    with pytest.raises(ValueError, match="no rate limit is called"):
        limits_for("https://gitlab.example.com", "custom", {"issue_per_minute": 25})
    with pytest.raises(ValueError, match="whole number from 1"):
        limits_for("https://gitlab.example.com", "custom", {"notes_per_minute": 0})


@pytest.mark.parametrize(
    ("url", "mode", "expected"),
    [
        ("https://gitlab.com", "instance", Limits.gitlab_com()),
        ("https://code.gitlab.com", "instance", Limits.gitlab_com()),
        ("https://gitlab.example.com", "instance", Limits.self_managed()),
        ("https://gitlab.example.com", "gitlab.com", Limits.gitlab_com()),
        ("https://gitlab.com", "self-managed", Limits.self_managed()),
        ("https://gitlab.com", "none", Limits.unpaced()),
    ],
)
def test_the_mode_matrix(url, mode, expected):
    assert limits_for(url, mode) == expected


@respx.mock
def test_a_self_managed_instance_is_paced_by_its_own_settings_where_the_token_may_read_them():
    url = "https://gitlab.example.com"
    respx.get(f"{url}/api/v4/application/settings").respond(
        200, json={"issues_create_limit": 100, "notes_create_limit": 50}
    )
    try:
        client = paced_client(url, "admin-token", "instance")
        assert client.pacing.limits == Limits(None, 90, 45, None)
    finally:
        forget(url)


@respx.mock
def test_without_an_administrators_token_the_documented_defaults_apply():
    url = "https://gitlab.example.org"
    respx.get(f"{url}/api/v4/application/settings").respond(403, json={"message": "403"})
    try:
        assert paced_client(url, "bot-token", "instance").pacing.limits == Limits.self_managed()
    finally:
        forget(url)
