from __future__ import annotations

import gitlab
import pytest
import requests
from fastapi import FastAPI, Request

from bot.gitlab.connection import open_connection
from bot.gitlab.rest import create_once
from bot.service.threaded import run_in_thread


@pytest.fixture
def recorder():
    """A stand-in that answers one REST and one GraphQL call and keeps the headers it saw."""
    seen: list[dict[str, str]] = []
    api = FastAPI()

    @api.get("/api/v4/projects/{pid}")
    async def project(pid: str, request: Request) -> dict:
        seen.append(dict(request.headers))
        return {"id": 1}

    @api.post("/api/graphql")
    async def graphql(request: Request) -> dict:
        seen.append(dict(request.headers))
        return {"data": {"currentUser": {"id": "gid://gitlab/User/1"}}}

    server = run_in_thread(api)
    yield server.url, seen
    server.stop()


def test_writes_made_for_an_event_do_not_forward_its_uuid_by_default(recorder):
    """GitLab's recursion detection fires each hook once per forwarded UUID: forwarding it
    would silence the customer's own hooks for all but the first write of a scaffold."""
    url, seen = recorder
    conn = open_connection(url, "secret", event_uuid="0f1e2d3c")
    conn.rest.http_get("/projects/1")
    conn.graphql.execute("query { currentUser { id } }")
    assert [headers.get("x-gitlab-event-uuid") for headers in seen] == [None, None]
    assert seen[0]["private-token"] == "secret"
    assert seen[1]["authorization"] == "Bearer secret"
    assert conn.requests == 2


def test_the_uuid_is_forwarded_on_rest_only_when_asked(recorder):
    url, seen = recorder
    open_connection(url, "secret", event_uuid="0f1e2d3c", forward_event_uuid=True).rest.http_get(
        "/projects/1"
    )
    open_connection(url, "secret").rest.http_get("/projects/1")
    assert [headers.get("x-gitlab-event-uuid") for headers in seen] == ["0f1e2d3c", None]


def test_every_connection_to_one_url_and_token_shares_one_client_and_window(recorder):
    url, _ = recorder
    first, second = open_connection(url, "secret"), open_connection(url + "/", "secret")
    other = open_connection(url, "another-token")
    assert first.client is second.client and first.pacing is second.pacing
    assert other.client is not first.client
    first.rest.http_get("/projects/1")
    second.rest.http_get("/projects/1")
    assert (first.requests, second.requests) == (1, 1)
    assert first.pacing.requests == 2
    assert first.pacing.project("1").count() == 2


def test_a_create_whose_answer_was_lost_is_found_not_repeated():
    created: list[str] = []

    def post() -> str:
        created.append("issue")
        raise requests.ConnectionError("connection reset after the write")

    assert create_once(post, lambda: "issue" if created else None) == "issue"
    assert created == ["issue"]


def test_a_create_that_failed_before_writing_is_sent_again():
    attempts: list[int] = []

    def post() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise gitlab.GitlabHttpError(response_code=502)
        return "issue"

    assert create_once(post, lambda: None) == "issue"
    assert len(attempts) == 3


def test_a_create_refused_for_a_reason_is_not_retried():
    attempts: list[int] = []

    def post() -> str:
        attempts.append(1)
        raise gitlab.GitlabCreateError(response_code=400, error_message="title is missing")

    with pytest.raises(gitlab.GitlabCreateError):
        create_once(post, lambda: None)
    assert attempts == [1]
