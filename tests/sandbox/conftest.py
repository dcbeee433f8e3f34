"""A webhook receiver for sandbox tests: a tiny FastAPI app served over loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from bot.service.threaded import run_in_thread


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    json: Any


@dataclass
class Receiver:
    """Records every POST; answers `status` (tests switch it to make deliveries fail)."""

    url: str = ""
    status: int = 200
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Delivery]:
        """Block until `count` deliveries arrived (a hang guard, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries)
            time.sleep(0.01)
        with self.lock:
            raise AssertionError(f"expected {count} deliveries, got {len(self.deliveries)}")

    def events(self, name: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.headers.get("x-gitlab-event") == name]

    def clear(self) -> None:
        with self.lock:
            self.deliveries.clear()


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        with receiver.lock:
            receiver.deliveries.append(Delivery(dict(request.headers), body, json.loads(body)))
        return Response(status_code=receiver.status)

    running = run_in_thread(app)
    receiver.url = f"{running.url}/hook"
    try:
        yield receiver
    finally:
        running.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    receiver_server.status = 200
    return receiver_server


@pytest.fixture
def sandbox_ultimate(sandbox_server: Any) -> Any:
    """The shared sandbox reset to Ultimate (multi-level epics, health status, DORA)."""
    sandbox_server.reset("ultimate")
    return sandbox_server
