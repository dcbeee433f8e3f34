"""`--rate-limits gitlab.com`: GitLab.com's documented per-user limits (verified.md §3.5).

GL:doc/user/gitlab_com/rate_limits.md and the "Response headers" section of
GL:doc/administration/settings/user_and_ip_rate_limits.md. The rate-limit clock is frozen at
the start of a minute so that no test straddles two windows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app as cli

MINUTE_START = 1_800_000_000.0  # a multiple of 60: the first second of a window
TOO_MANY = {
    "message": {"error": "This endpoint has been requested too many times. Try again later."}
}


@pytest.fixture
def limited(sandbox_server: Any) -> Iterator[dict[str, Any]]:
    """A premium sandbox with GitLab.com's limits, users rita and sam, project acme/app."""
    sandbox_server.control("POST", "reset", {"tier": "premium", "rate_limits": "gitlab.com"})
    sandbox_server.control("POST", "clock", {"time": MINUTE_START})
    seeded = sandbox_server.seed(
        {
            "users": [{"username": "rita"}, {"username": "sam"}],
            "groups": [{"path": "acme", "members": {"rita": 30, "sam": 30}}],
            "projects": [{"path": "app", "namespace": "acme"}],
        }
    )
    clients: list[httpx.Client] = []

    def client(token: str) -> httpx.Client:
        made = httpx.Client(
            base_url=f"{sandbox_server.url}/api/v4", headers={"PRIVATE-TOKEN": token}, timeout=30
        )
        clients.append(made)
        return made

    yield {
        "client": client,
        "project": seeded["projects"]["acme/app"],
        "rita": seeded["users"]["rita"],
        "sam": seeded["users"]["sam"],
        "server": sandbox_server,
    }
    for made in clients:
        made.close()
    sandbox_server.control("POST", "reset", {"tier": "premium", "rate_limits": "none"})


def second_token(limited: dict[str, Any], user: str) -> str:
    """Another personal access token of the same user (made by root)."""
    root = limited["client"](limited["server"].token)
    made = root.post(
        f"/users/{limited[user]['id']}/personal_access_tokens",
        json={"name": "second", "scopes": ["api"]},
    )
    return made.json()["token"]


def test_every_api_response_carries_the_rate_limit_headers(limited):
    rita = limited["client"](limited["rita"]["token"])
    first = rita.get("/version")
    second = rita.get("/version")
    assert first.headers["ratelimit-name"] == "throttle_authenticated_api"
    assert first.headers["ratelimit-limit"] == "2000"
    assert (first.headers["ratelimit-observed"], second.headers["ratelimit-observed"]) == ("1", "2")
    assert second.headers["ratelimit-remaining"] == "1998"
    assert second.headers["ratelimit-reset"] == str(int(MINUTE_START) + 60)


def test_2000_api_requests_a_minute_then_429_with_retry_after_across_tokens_and_connections(
    limited,
):
    rita = limited["client"](limited["rita"]["token"])
    other_connection = limited["client"](second_token(limited, "rita"))
    for number in range(2000):
        answer = (rita if number % 2 else other_connection).get("/version")
        assert answer.status_code == 200, number
    refused = rita.get("/version")
    assert refused.status_code == 429
    assert refused.text == "Retry later\n"
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-observed"] == "2001"
    assert "ratelimit-resettime" in refused.headers
    graphql = rita.post(
        f"{limited['server'].url}/api/graphql", json={"query": "{ currentUser { id } }"}
    )
    assert graphql.status_code == 429, "REST and GraphQL share the user's budget"
    sam = limited["client"](limited["sam"]["token"])
    assert sam.get("/version").status_code == 200, "another user has a budget of their own"
    limited["server"].control("POST", "clock", {"advance": 60})
    assert rita.get("/version").status_code == 200, "a new minute, a new window"


def test_60_note_creations_a_minute_per_user_whatever_the_token(limited):
    project = limited["project"]
    rita = limited["client"](limited["rita"]["token"])
    issue = rita.post(f"/projects/{project}/issues", json={"title": "Chatty"}).json()
    notes = f"/projects/{project}/issues/{issue['iid']}/notes"
    for number in range(60):
        assert rita.post(notes, json={"body": f"note {number}"}).status_code == 201
    again = limited["client"](second_token(limited, "rita")).post(notes, json={"body": "61"})
    assert again.status_code == 429
    assert again.json() == TOO_MANY
    assert int(again.headers["retry-after"]) == 60
    assert "ratelimit-limit" not in again.headers, (
        "application limits carry no informational headers"
    )
    assert len(rita.get(notes, params={"per_page": 100}).json()) == 60, "nothing was stored"
    sam = limited["client"](limited["sam"]["token"])
    assert sam.post(notes, json={"body": "mine"}).status_code == 201
    stats = limited["server"].stats()["rate_limits"]
    assert stats["current"]["notes_create"][str(limited["rita"]["id"])] == 61
    assert stats["throttled"] == {"notes_create": 1}


def test_200_issue_creations_a_minute_per_user_and_project(limited):
    project = limited["project"]
    rita = limited["client"](limited["rita"]["token"])
    for number in range(200):
        created = rita.post(f"/projects/{project}/issues", json={"title": f"Issue {number}"})
        assert created.status_code == 201, number
    refused = rita.post(f"/projects/{project}/issues", json={"title": "One more"})
    assert refused.status_code == 429 and refused.json() == TOO_MANY
    listed = rita.get(f"/projects/{project}/issues", params={"per_page": 1})
    assert listed.headers["x-total"] == "200"
    other = limited["client"](limited["server"].token).post(
        "/projects",
        json={
            "name": "other",
            "namespace_id": rita.get(f"/projects/{project}").json()["namespace"]["id"],
        },
    )
    elsewhere = rita.post(f"/projects/{other.json()['id']}/issues", json={"title": "Elsewhere"})
    assert elsewhere.status_code == 201, "the limit counts per project and user"


def test_400_single_project_requests_a_minute_per_user(limited):
    project = limited["project"]
    rita = limited["client"](limited["rita"]["token"])
    for number in range(400):
        assert rita.get(f"/projects/{project}").status_code == 200, number
    refused = rita.get(f"/projects/{project}")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 60
    assert rita.get(f"/projects/{project}/issues").status_code == 200, (
        "the limit is on GET /projects/:id, not on everything under it"
    )


def test_without_rate_limits_nothing_is_counted_or_announced(sandbox):
    answer = httpx.get(f"{sandbox.url}/api/v4/version", headers={"PRIVATE-TOKEN": sandbox.token})
    assert "ratelimit-limit" not in answer.headers
    assert sandbox.stats()["rate_limits"]["profile"] is None


def test_the_cli_refuses_an_unknown_rate_limit_profile():
    result = CliRunner().invoke(cli, ["sandbox", "--rate-limits", "github.com"])
    assert result.exit_code == 2
    assert "--rate-limits must be gitlab.com" in result.output


def test_a_running_clock_starts_a_window_and_goes_on_with_real_time(limited):
    started = limited["server"].control(
        "POST", "clock", {"time": MINUTE_START + 58.5, "running": True}
    )
    rita = limited["client"](limited["rita"]["token"])
    first = rita.get("/version")
    time.sleep(1.6)
    later = rita.get("/version")
    assert started["time"] == pytest.approx(MINUTE_START + 58.5, abs=0.5)
    assert first.headers["ratelimit-reset"] == str(int(MINUTE_START) + 60)
    assert later.headers["ratelimit-reset"] == str(int(MINUTE_START) + 120), "the next window"
    assert later.headers["ratelimit-observed"] == "1"
