"""Finding 2 of issue 23: the nesting check is linear, every body counts against one shared
budget of bytes (signed or not), and large bodies are parsed off the event loop."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid

import httpx
import pytest

from bot.config import Settings
from bot.events.router import Router
from bot.service import webhook
from bot.service.app import create_app
from bot.service.intake import Malformed, json_body
from bot.service.threaded import run_in_thread
from bot.service.webhook import BodyBudget
from tests.conftest import PAYLOADS

SECRET = "bodies-secret"
LARGEST = 64 * 1024
NESTING_PROBE = b'["' + b'\\"' * 30_000
"""60 KB: an unclosed string full of escaped quotes; the old check rescanned it from each."""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bodies")
    settings = Settings(
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{folder}/psdm.sqlite",
        gitlab_url="http://127.0.0.1:9",
        gitlab_token="t",
        bot_username="psdm-bot",
        max_body_bytes=LARGEST,
        max_bodies_bytes=2 * LARGEST,
        inline_parse_bytes=16 * 1024,
        body_timeout_seconds=0.6,
        queue_polling_seconds=0.05,
        executor_id="bodies-test",
        readiness_seconds=3600,
    )
    server = run_in_thread(create_app(settings, router=Router()))
    yield server
    server.stop()


def _issue(padding: int = 0) -> bytes:
    data = json.loads((PAYLOADS / "issue-open.json").read_text())
    data["object_attributes"]["id"] = uuid.uuid4().int % 10**9
    data["padding"] = "x" * padding
    return json.dumps(data).encode()


def _headers() -> dict[str, str]:
    return {"X-Gitlab-Event": "Issue Hook", "X-Gitlab-Token": SECRET}


def test_the_nesting_probe_is_refused_in_a_moment():
    started = time.thread_time()
    with pytest.raises(Malformed):
        json_body(NESTING_PROBE + b"[" * 70)
    with pytest.raises(Malformed):
        json_body(b"[" * 70 + NESTING_PROBE)
    assert time.thread_time() - started < 0.05


def test_the_nesting_probe_gets_its_400_without_holding_the_service(service):
    with httpx.Client(base_url=service.url, timeout=10) as client:
        started = time.monotonic()
        answer = client.post("/webhook", content=b"[" * 70 + NESTING_PROBE, headers=_headers())
        assert answer.status_code == 400
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 2  # was 12.7 s


def test_the_budget_lets_no_more_bytes_in_than_it_holds():
    async def scenario() -> tuple[bool, bool, bool]:
        budget = BodyBudget(100)
        first = await budget.take(60, 0.05)
        second = await budget.take(60, 0.05)
        budget.give(60)
        third = await budget.take(60, 0.05)
        return first, second, third

    assert asyncio.run(scenario()) == (True, False, True)


def test_bodies_held_open_make_later_ones_wait_for_room(service):
    """Two bodies of the largest size, sent slowly, hold the whole budget; a third waits."""
    held = []
    for _ in range(2):
        connection = socket.create_connection(("127.0.0.1", service.port))
        connection.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-Gitlab-Event: Issue Hook\r\n"
            + f"X-Gitlab-Token: {SECRET}\r\nContent-Length: {LARGEST}\r\n\r\n".encode()
            + b"{"
        )
        held.append(connection)
    try:
        time.sleep(0.1)
        started = time.monotonic()
        with httpx.Client(base_url=service.url, timeout=10) as client:
            answer = client.post("/webhook", content=_issue(), headers=_headers())
        waited = time.monotonic() - started
        assert answer.status_code == 202
        assert waited > 0.3  # it got in only once the held bodies timed out
    finally:
        for connection in held:
            connection.close()


def test_a_large_body_is_parsed_off_the_event_loop(service, monkeypatch):
    threads: list[str] = []
    parse = webhook.json_body

    def watched(raw: bytes):
        threads.append(threading.current_thread().name)
        return parse(raw)

    monkeypatch.setattr(webhook, "json_body", watched)
    with httpx.Client(base_url=service.url, timeout=10) as client:
        small = client.post("/webhook", content=_issue(), headers=_headers())
        large = client.post("/webhook", content=_issue(padding=20_000), headers=_headers())
    assert small.status_code == large.status_code == 202
    loop_thread, worker = threads
    assert loop_thread != worker
