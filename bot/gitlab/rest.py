"""Small helpers over python-gitlab's raw HTTP calls: paths, every page, create-once."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import gitlab
import httpx
import requests
from gql.transport.exceptions import TransportConnectionFailed

T = TypeVar("T")
TRANSIENT = {500, 502, 503, 504, *range(520, 531)}
NETWORK = (
    requests.ConnectionError,
    requests.Timeout,
    httpx.TransportError,
    TransportConnectionFailed,
)
"""Failures of the connection itself, from REST (requests) or GraphQL (httpx, which gql wraps)."""


def enc(value: str | int) -> str:
    """A path segment as GitLab wants it: `group/project` becomes `group%2Fproject`."""
    return quote(str(value), safe="")


def _json(answer: object) -> dict[str, Any]:
    """A JSON object answer (python-gitlab types its answers as a dict or a raw response)."""
    return answer if isinstance(answer, dict) else {}


def get(rest: gitlab.Gitlab, path: str, **kwargs: Any) -> dict[str, Any]:
    return _json(rest.http_get(path, **kwargs))


def post(rest: gitlab.Gitlab, path: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return _json(rest.http_post(path, post_data=dict(data)))


def put(rest: gitlab.Gitlab, path: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return _json(rest.http_put(path, post_data=dict(data)))


MAX_PAGES = 1000
"""Pages one listing may take (100,000 objects)."""


def every(rest: gitlab.Gitlab, path: str, **query: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, 100 per page, each page followed once.

    A `next` link back to a page already read (one pointing at its own page once looped 718
    times a minute, issue 23) or a listing past MAX_PAGES ends in python-gitlab's
    GitlabListError, which `errors.explain` words for the user like any refused read.
    """
    items: list[dict[str, Any]] = []
    read: set[str] = set()
    target = path
    data: dict[str, Any] | None = {"per_page": 100, **query}
    for _ in range(MAX_PAGES):
        response = rest.http_request("get", target, query_data=data)
        found = response.json()
        items.extend(item for item in found if isinstance(item, dict))
        link = response.links.get("next", {}).get("url")
        if not link:
            return items
        read.add(response.url)
        target = rest._check_url(link) or link
        if target in read:
            raise gitlab.GitlabListError(
                f"GitLab's next page of {path} is a page already read ({target})"
            )
        data = None
    raise gitlab.GitlabListError(f"{path} has more than {MAX_PAGES} pages")


def create_once(post: Callable[[], T], find: Callable[[], T | None], attempts: int = 5) -> T:
    """POST without blind retries: after a transient failure, look for the object first.

    A POST whose answer was lost may still have created the object; retrying it blindly (as
    python-gitlab does for transient errors) would create a duplicate.
    """
    attempt = 1
    while True:
        try:
            return post()
        except (*NETWORK, gitlab.GitlabHttpError) as error:
            http = isinstance(error, gitlab.GitlabHttpError)
            code = getattr(error, "response_code", None)
            if (http and code not in TRANSIENT) or attempt >= attempts:
                raise
            found = find()
            if found is not None:
                return found
            time.sleep(0.1 * 2**attempt)
            attempt += 1


def post_once(
    rest: gitlab.Gitlab,
    path: str,
    data: Mapping[str, Any],
    find: Callable[[], dict[str, Any] | None],
) -> dict[str, Any]:
    """POST `data` to `path` unless `find` sees the object already; after a lost answer, look
    again before sending anything twice."""
    found = find()
    if found is not None:
        return found
    return create_once(lambda: post(rest, path, data), find)


def note_once(
    rest: gitlab.Gitlab, path: str, marker: str, body: str, **created: Any
) -> dict[str, Any]:
    """The one note on `path` (an issue's, merge request's or epic's notes) that carries
    `marker` (an HTML comment): posted once, its text brought up to date when it differs.

    `created` are further fields of the first post (`internal`)."""
    text = f"{body}\n\n{marker}"

    def find() -> dict[str, Any] | None:
        return next((n for n in every(rest, path) if marker in (n.get("body") or "")), None)

    found = post_once(rest, path, {"body": text, **created}, find)
    if found.get("body") != text:
        rest.http_put(f"{path}/{found['id']}", post_data={"body": text})
    return found


def award_once(rest: gitlab.Gitlab, path: str, name: str, username: str) -> dict[str, Any]:
    """The emoji `name` from `username` on the awardable at `path` (`.../award_emoji`), once."""

    def find() -> dict[str, Any] | None:
        return next(
            (
                award
                for award in every(rest, path)
                if award.get("name") == name
                and (award.get("user") or {}).get("username") == username
            ),
            None,
        )

    return post_once(rest, path, {"name": name}, find)


def first_contact(get: Callable[[], T], refused: int = 2, transient: int = 10) -> T:
    """The first request of a run: a refused connection fails in about a second (a wrong URL
    is likelier than an outage), while 5xx answers get python-gitlab's usual patience."""
    attempt = 0
    while True:
        try:
            return get()
        except (*NETWORK, gitlab.GitlabHttpError) as error:
            http = isinstance(error, gitlab.GitlabHttpError)
            if http and getattr(error, "response_code", None) not in TRANSIENT:
                raise
            attempt += 1
            if attempt > (transient if http else refused):
                raise
            time.sleep(min(0.25 * 2**attempt, 10.0))
