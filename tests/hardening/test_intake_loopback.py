"""The intake through real uvicorn on loopback: keep-alive survives hostile bodies, refusals
are cheap (token before body, body deadline, header deadline, few unverified bodies at once),
a BOM body is handled, a reused Idempotency-Key is a 409, labels stay known, readiness is
cached and database files are private (issue 13, items 2, 4, 5, 8)."""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI

from bot.config import Settings
from bot.events.router import Router
from bot.service.app import create_app
from bot.service.durable import step
from bot.service.serve import HeaderDeadline
from bot.service.store import Store
from bot.service.threaded import run_in_thread
from tests.conftest import PAYLOADS
from tests.service.harness import wait_for

SECRET = "loop-secret"
SIGNING = "whsec_" + base64.b64encode(b"s" * 32).decode()


class Counted:
    def __init__(self, marker: str) -> None:
        self.marker = marker


@pytest.fixture(scope="module")
def gitlab():
    """A GitLab stand-in that only counts its version calls (readiness)."""
    hits: list[float] = []
    app = FastAPI()

    @app.get("/api/v4/version")
    def version() -> dict[str, str]:
        hits.append(time.time())
        return {"version": "18.2.0"}

    server = run_in_thread(app)
    server.hits = hits
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory, gitlab):
    handled: list[str] = []
    router = Router()

    @router.register("Issue Hook")
    def count(event, context):
        yield Counted(event.event_uuid or "none")

    def runners(settings, store):
        return {
            Counted: lambda action, event: step(
                "count", lambda: handled.append(action.marker) or "ok"
            )
        }

    folder = tmp_path_factory.mktemp("loop")
    settings = Settings(
        webhook_secrets=[SECRET],
        signing_secrets=[SIGNING],
        database_url=f"sqlite:///{folder}/psdm.sqlite",
        gitlab_url=gitlab.url,
        gitlab_token="t",
        bot_username="psdm-bot",
        max_body_bytes=256 * 1024,
        queue_polling_seconds=0.05,
        executor_id="loopback-test",
        body_timeout_seconds=0.5,
        max_unverified=1,
        readiness_seconds=3600,
        metrics_token="m",
    )
    app = create_app(settings, router=router, runners=runners)
    HeaderDeadline.header_seconds = 0.5
    server = run_in_thread(app, http=HeaderDeadline, timeout_keep_alive=30)
    server.handled = handled
    server.folder = folder
    server.app = app
    yield server
    server.stop()
    HeaderDeadline.header_seconds = 10.0


def issue_body() -> dict:
    data = json.loads((PAYLOADS / "issue-open.json").read_text())
    data["object_attributes"]["id"] = uuid.uuid4().int % 10**9
    return data


def headers(kind="Issue Hook", **extra) -> dict[str, str]:
    return {"X-Gitlab-Event": kind, "X-Gitlab-Token": SECRET, **extra}


HOSTILE = {
    "deep arrays": b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "deep objects": b'{"a": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
    "utf-16": json.dumps(issue_body()).encode("utf-16"),
    "utf-32": json.dumps(issue_body()).encode("utf-32"),
    "utf-16 without bom": json.dumps(issue_body()).encode("utf-16-le"),
    "encoded surrogate": b'{"a": "\xed\xa0\x80"}',
    "escaped surrogate": b'{"object_kind": "issue", "t": "\\ud800"}',
    "list event_name": json.dumps({"event_name": ["project_create"], "project_id": 1}).encode(),
    "dict event_name": json.dumps({"event_name": {"a": 1}}).encode(),
    "string project id": json.dumps({**issue_body(), "project": {"id": "x"}}).encode(),
    "missing project id": json.dumps({"event_name": "project_create"}).encode(),
    "huge int": json.dumps({**issue_body(), "project": {"id": 10**40}}).encode(),
    "not an object": b"[1, 2]",
    "not json": b"{nope",
}


def test_hostile_bodies_get_4xx_or_202_and_the_keep_alive_connection_stays_healthy(service):
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(base_url=service.url, limits=limits, timeout=10) as client:
        for name, body in HOSTILE.items():
            kind = "System Hook" if "event_name" in name or "missing" in name else "Issue Hook"
            response = client.post("/webhook", content=body, headers=headers(kind))
            assert 200 <= response.status_code < 500, (name, response.status_code)
            if response.status_code == 202:
                assert response.json().get("ignored"), name
        good = client.post("/webhook", json=issue_body(), headers=headers())
        assert good.status_code == 202 and "ignored" not in good.json()


def test_a_body_with_a_utf8_bom_is_accepted_and_handled(service):
    marker = str(uuid.uuid4())
    body = b"\xef\xbb\xbf" + json.dumps(issue_body()).encode()
    sent = headers(**{"X-Gitlab-Event-UUID": marker, "Idempotency-Key": marker})
    assert httpx.post(f"{service.url}/webhook", content=body, headers=sent).status_code == 202
    assert wait_for(lambda: marker in service.handled)


def test_a_reused_idempotency_key_with_another_body_is_a_409(service):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = httpx.post(f"{service.url}/webhook", json=issue_body(), headers=headers(**key))
    again = httpx.post(f"{service.url}/webhook", json=issue_body(), headers=headers(**key))
    assert (first.status_code, again.status_code) == (202, 409)


def _raw(service, head: bytes, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection((service.host, service.port), timeout=5)
    sock.sendall(head + body)
    return sock


def test_a_wrong_token_is_refused_before_the_body_is_sent(service):
    head = (
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: wrong\r\n"
        b"Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n"
    )
    sock = _raw(service, head)
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 401") and b"connection: close" in answer.lower()


def test_a_body_that_does_not_arrive_in_time_is_a_408(service):
    head = (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: {SECRET}\r\n"
        "X-Gitlab-Event: Issue Hook\r\nContent-Length: 1000\r\n\r\n"
    ).encode()
    sock = _raw(service, head, b'{"a": ')
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408")


def test_headers_that_trickle_in_close_the_connection(service):
    sock = _raw(service, b"POST /webhook HTTP/1.1\r\nHost: x\r\n")
    sock.settimeout(5)
    started = time.monotonic()
    assert sock.recv(4096) == b""  # closed by the server, no request served
    assert time.monotonic() - started < 5
    sock.close()


def test_only_a_few_signed_bodies_are_read_at_once_before_verification(service):
    head = (
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nwebhook-id: a\r\nwebhook-timestamp: 1\r\n"
        b"webhook-signature: v1,AAAA\r\nX-Gitlab-Event: Issue Hook\r\nContent-Length: 100\r\n\r\n"
    )
    holder = _raw(service, head, b"{")
    time.sleep(0.1)
    second = _raw(service, head, b"{")
    assert second.recv(4096).startswith(b"HTTP/1.1 429")
    holder.close()
    second.close()


def test_metric_labels_take_known_values_only(service):
    for index in range(30):
        kind = f"Made Up Hook {index}"
        httpx.post(f"{service.url}/webhook", json={"x": index}, headers=headers(kind))
    text = httpx.get(f"{service.url}/metrics", headers={"Authorization": "Bearer m"}).text
    assert "Made Up Hook" not in text
    assert 'psdm_events_received_total{kind="other"}' in text
    assert httpx.get(f"{service.url}/metrics").status_code == 401


def test_readiness_answers_from_the_last_check_without_calling_gitlab(service, gitlab):
    assert wait_for(lambda: httpx.get(f"{service.url}/readyz").status_code == 200)
    before = len(gitlab.hits)
    for _ in range(20):
        assert httpx.get(f"{service.url}/readyz").json()["gitlab"] is True
    assert len(gitlab.hits) == before


def test_the_database_files_are_readable_by_their_owner_only(service):
    files = [p for p in service.folder.iterdir() if p.name.startswith("psdm")]
    assert any(p.name == "psdm.sqlite" for p in files)
    assert any(".dbos" in p.name for p in files)
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    path = tmp_path / "old.sqlite"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    Store(f"sqlite:///{path}").close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_unhandleable_deliveries_are_stored_with_their_reason(service):
    body = {**issue_body(), "project": {"id": "not a number"}}
    response = httpx.post(f"{service.url}/webhook", json=body, headers=headers())
    assert response.status_code == 202 and "unhandleable" in response.json()["ignored"]
    store = service.app.state.service.store
    assert any("project.id" in u.reason for u in store.unhandled())
