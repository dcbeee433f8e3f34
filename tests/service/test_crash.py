"""kill -9 of `psdm-bot serve` while deliveries pour in: no acknowledged delivery is lost."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.conftest import PAYLOADS
from tests.service.harness import SECRET, ServiceProcess

pytestmark = pytest.mark.xdist_group("service-e2e")
NOTE = json.loads((PAYLOADS / "note-issue.json").read_text())
TOTAL = 400
KILL_AFTER = 150


async def pour(service: ServiceProcess, keys: list[str], acked: set[str], kill_after: int) -> None:
    """Send every key once (64 at a time); kill the service once `kill_after` are acknowledged."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for key in keys:
        queue.put_nowait(key)
    killed = asyncio.Event()

    async def sender(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            key = queue.get_nowait()
            body = json.loads(json.dumps(NOTE))
            body["object_attributes"]["id"] = int(key.rsplit("-", 1)[1])
            headers = {
                "X-Gitlab-Token": SECRET,
                "X-Gitlab-Event": "Note Hook",
                "Idempotency-Key": key,
            }
            try:
                response = await http.post("/webhook", json=body, headers=headers)
            except httpx.HTTPError:
                continue
            if response.status_code == 202:
                acked.add(key)
            if len(acked) >= kill_after and not killed.is_set():
                killed.set()
                service.kill()

    async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
        await asyncio.gather(*(sender(http) for _ in range(64)))


def inbox(workdir: Path) -> list[str]:
    # Closed at once (sqlite3's own context manager only commits): a connection left open by
    # the test across the service's restart must not stand between it and the new rows.
    with closing(sqlite3.connect(workdir / "db" / "psdm.sqlite")) as db:
        rows = db.execute("select key from psdm_inbox").fetchall()
    return [key.removeprefix("delivery:") for (key,) in rows]


def test_no_acknowledged_delivery_is_lost_or_doubled_by_a_kill_9(tmp_path):
    service = ServiceProcess(
        "http://127.0.0.1:9", f"sqlite:///{tmp_path}/db/psdm.sqlite", tmp_path, "crash-node"
    ).start()
    keys = [f"delivery-{n}" for n in range(TOTAL)]
    acked: set[str] = set()
    try:
        asyncio.run(pour(service, keys, acked, KILL_AFTER))
        assert service.process.poll() is not None, "the service was not killed"
        assert KILL_AFTER <= len(acked) < TOTAL
        recorded_before_restart = inbox(tmp_path)
        assert acked <= set(recorded_before_restart)
        service.start()
        resent: set[str] = set()
        asyncio.run(pour(service, [k for k in keys if k not in acked], resent, TOTAL + 1))
        assert acked | resent == set(keys)
        recorded = inbox(tmp_path)
        assert sorted(recorded) == sorted(keys)
    finally:
        service.stop()
