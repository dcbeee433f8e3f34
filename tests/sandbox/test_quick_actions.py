"""Quick actions in notes are found where GitLab's extractor finds them, and nowhere else.

GL:lib/gitlab/quick_actions/extractor.rb: `\\r` is removed, then a command is `/name` at the
start of a line, lines ending at `\\n` only (Ruby's `^`, `$`); code blocks are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    client = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    yield client
    client.close()


@pytest.mark.parametrize(
    ("body", "closes"),
    [
        ("/close", True),
        ("/CLOSE", True),
        ("/close \t", True),
        ("/close\f", True),
        ("thanks\n/close", True),
        ("thanks\r\n/close\r\n", True),
        ("thanks\u2028/close", False),
        ("thanks\x85/close", False),
        ("thanks\f/close", False),
        ("thanks\x0b/close", False),
        ("thanks\u2029/close", False),
        ("thanks\x1e/close", False),
        (" /close", False),
        ("/closed", False),
        ("/close\u2028", False),
        ("```\n/close\n```", False),
    ],
    ids=repr,
)
def test_a_quick_action_counts_only_on_a_line_of_its_own(api, body, closes):
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
    issue = api.post(f"/projects/{project['id']}/issues", json={"title": "t"}).json()
    notes = f"/projects/{project['id']}/issues/{issue['iid']}/notes"
    answer = api.post(notes, json={"body": body})
    state = api.get(f"/projects/{project['id']}/issues/{issue['iid']}").json()["state"]
    assert state == ("closed" if closes else "opened")
    stored = [n["body"] for n in api.get(notes).json() if not n["system"]]
    if closes and not body.startswith("thanks"):
        assert answer.status_code == 202
        assert stored == []
    elif not closes:
        assert answer.status_code == 201
        assert stored == [body]


def test_an_argument_runs_to_the_line_feed_whatever_other_breaks_it_holds(api):
    """`/label ~a<U+2028>/close` is one label command whose argument holds the rest."""
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
    issue = api.post(f"/projects/{project['id']}/issues", json={"title": "t"}).json()
    notes = f"/projects/{project['id']}/issues/{issue['iid']}/notes"
    assert api.post(notes, json={"body": "/label ~ready\u2028/close"}).status_code == 202
    after = api.get(f"/projects/{project['id']}/issues/{issue['iid']}").json()
    assert after["state"] == "opened"
    assert after["labels"] == ["ready\u2028/close"]
