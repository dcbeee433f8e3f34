"""Findings 4 and 5 of issue 23: server-side sessions with tokens encrypted at rest, an access
cache that keeps caching, and the same work for a hidden engagement as for a missing one."""

from __future__ import annotations

import base64
import json

import httpx
import sqlalchemy as sa

from bot.service.auth import Access, Viewer
from bot.service.store import sessions
from tests.dashboard.conftest import Dashboard, sign_in

ALICE = Viewer(7, "alice", "Alice", "token-a")


class CountingGitLab:
    """GitLab's answers to the access check, counted: alice is a member of project 1 only."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get(self, token: str, path: str, **params: object) -> object:
        self.calls.append(path)
        if path == "user":
            return {"id": 7, "is_admin": False}
        if path == "projects":
            return [{"id": 1}]
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_access_cache_keeps_caching_after_its_first_minute():
    gitlab, clock = CountingGitLab(), Clock()
    access = Access(gitlab, seconds=60, clock=clock)  # type: ignore[arg-type]
    asked = []
    for moment in (0, 30, 61, 90, 119, 122, 150):
        clock.now = 1000.0 + moment
        assert access.readable(ALICE, [1, 2]) == {1}
        asked.append(len(gitlab.calls))
    # GitLab is asked at 0 s, again at 61 s (the answers expired), again at 122 s: no more
    assert asked == [3, 3, 6, 6, 6, 9, 9]


def _cookie_payload(client: httpx.Client) -> dict:
    payload = client.cookies["psdm_session"].split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_cookie_carries_an_opaque_id_and_the_tokens_are_encrypted_at_rest(
    dashboard: Dashboard,
):
    dashboard.sandbox.seed({"users": [{"username": "alice"}]})
    alice = sign_in(dashboard, "alice")
    assert alice.get("/").status_code == 200
    cookie = _cookie_payload(alice)
    assert set(cookie) == {"sid"}
    with dashboard.service.store.engine.connect() as conn:
        rows = conn.execute(sa.select(sessions)).all()
    assert len(rows) == 1 and cookie["sid"] not in rows[0].key
    sealed = rows[0].sealed
    assert "alice" not in sealed and "token" not in sealed
    # the sealed text is no token GitLab takes either
    me = httpx.get(
        f"{dashboard.sandbox.url}/api/v4/user",
        headers={"Authorization": f"Bearer {sealed}"},
        timeout=30,
    )
    assert me.status_code == 401


def test_a_signed_out_cookie_gets_no_page_while_another_session_lives(dashboard: Dashboard):
    dashboard.sandbox.seed({"users": [{"username": "alice"}]})
    laptop = sign_in(dashboard, "alice")
    phone = sign_in(dashboard, "alice")
    copied = laptop.cookies["psdm_session"]
    assert laptop.get("/").status_code == phone.get("/").status_code == 200
    assert laptop.post("/auth/sign-out").status_code == 200
    replay = httpx.Client(base_url=dashboard.url, timeout=30)
    replay.cookies.set("psdm_session", copied, domain="127.0.0.1")
    assert replay.get("/").status_code == 303
    assert phone.get("/").status_code == 200


def test_a_hidden_engagement_costs_what_a_missing_one_costs(dashboard: Dashboard, two_customers):
    alice = sign_in(dashboard, "alice")

    def gitlab_requests(path: str) -> dict:
        dashboard.sandbox.control("DELETE", "stats")
        answer = alice.get(path)
        assert answer.status_code == 404
        routes = dashboard.sandbox.stats()["routes"]
        return {route: count for route, count in routes.items() if "/-/sandbox" not in route}

    hidden = gitlab_requests(f"/engagements/{two_customers['globex']}")
    missing = gitlab_requests("/engagements/999999")
    assert hidden == missing and hidden
    # the portfolio, which reads every engagement, does not make a hidden one cheaper
    assert alice.get("/").status_code == 200
    assert gitlab_requests(f"/engagements/{two_customers['globex']}") == gitlab_requests(
        "/engagements/999999"
    )
