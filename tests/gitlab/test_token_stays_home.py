"""The token goes to the configured GitLab and nowhere else: not along a pagination link, not
along a redirect (a second loopback listener stands for the other host and counts visits)."""

from __future__ import annotations

import gitlab
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from bot.gitlab.connection import ForeignURL, open_connection
from bot.gitlab.rest import every
from bot.service.threaded import run_in_thread


@pytest.fixture
def elsewhere():
    """Another host: records every request it gets, with its headers."""
    seen: list[dict[str, str]] = []
    api = FastAPI()

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT"])
    async def anything(path: str, request: Request) -> dict:
        seen.append(dict(request.headers))
        return {}

    server = run_in_thread(api)
    yield server.url, seen
    server.stop()


@pytest.fixture
def home(elsewhere):
    """The configured GitLab, whose answers point at the other host."""
    other, _ = elsewhere
    api = FastAPI()

    @api.get("/api/v4/projects/1/issues")
    async def issues(page: int = 1) -> Response:
        if page == 1:  # GitLab's own next link, under another base URL: rewritten home
            link = f'<{other}/api/v4/projects/1/issues?page=2>; rel="next"'
            return JSONResponse([{"iid": 1}], headers={"Link": link})
        link = f'<{other}/steal?page=3>; rel="next"'  # not GitLab's API at all: refused
        return JSONResponse([{"iid": 2}], headers={"Link": link})

    @api.get("/api/v4/projects/2")
    async def moved() -> Response:
        return RedirectResponse(f"{other}/api/v4/projects/2", status_code=302)

    @api.post("/api/graphql")
    async def graphql() -> Response:
        return RedirectResponse(f"{other}/api/graphql", status_code=307)

    server = run_in_thread(api)
    yield server.url
    server.stop()


def test_a_pagination_link_to_another_host_never_gets_the_token(home, elsewhere):
    _, seen = elsewhere
    conn = open_connection(home, "home-secret")
    with pytest.raises(ForeignURL):
        every(conn.rest, "/projects/1/issues")
    assert seen == []


def test_a_redirect_to_another_host_is_refused_before_the_token_follows(home, elsewhere):
    _, seen = elsewhere
    conn = open_connection(home, "home-secret")
    with pytest.raises(ForeignURL):
        conn.rest.http_get("/projects/2")
    with pytest.raises(gitlab.GitlabHttpError):  # GraphQL does not follow redirects at all
        conn.graphql.execute("query { currentUser { id } }")
    assert seen == []


def test_a_request_built_for_another_host_is_refused(home, elsewhere):
    other, seen = elsewhere
    conn = open_connection(home, "home-secret")
    with pytest.raises(ForeignURL):
        conn.rest.http_get(f"{other}/api/v4/user")
    assert seen == []
