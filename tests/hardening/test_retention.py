"""Finding 6 of issue 23: storage stays bounded. Handled deliveries, command outcomes and
ended sessions go after the retention period (30 days by default); a confidential
delivery's text goes once it is handled; the SQLite WAL is cut back after checkpoints."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import sqlalchemy as sa

from bot.config import Settings
from bot.events.router import Context, Router
from bot.events.routes import build_router
from bot.service.app import create_app
from bot.service.durable import step
from bot.service.intake import delivery_of, json_body, recorded, triage
from bot.service.retention import DAY, Retention
from bot.service.store import DISPATCHED, Delivery, Store, inbox
from bot.service.threaded import run_in_thread
from tests.conftest import PAYLOADS
from tests.service.harness import wait_for

PER_DAY = 60
BODY = "x" * 4000


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _delivery(kind: str = "Note Hook") -> Delivery:
    key = "delivery:" + uuid.uuid4().hex
    payload = json.dumps({"note": BODY})
    return Delivery(key, None, kind, "project:1", None, payload, digest=key[-40:])


def _flood_one_day(store: Store, clock: Clock) -> None:
    batch = [
        _delivery("Confidential Note Hook" if n % 5 == 0 else "Note Hook") for n in range(PER_DAY)
    ]
    store.record_batch(batch, now=clock.now)
    store.mark([d.key for d in batch], DISPATCHED)


def test_the_default_retention_is_thirty_days():
    assert Settings(webhook_secrets=["s"]).retention_days == 30


def test_the_database_stays_bounded_under_a_steady_flood(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/psdm.sqlite")
    clock = Clock()
    retention = Retention(store, days=30, clock=clock)
    sizes: dict[int, int] = {}
    rows: dict[int, int] = {}
    for day in range(1, 91):
        _flood_one_day(store, clock)
        clock.now += DAY
        retention.run_once()
        sizes[day] = store.size()
        rows[day] = sum(store.counts().values())
    assert rows[90] == rows[60] == rows[35] == 30 * PER_DAY
    # the file stops growing once the first deliveries age out (pages are reused)
    assert sizes[90] <= sizes[40] * 1.1, sizes
    wal = tmp_path / "psdm.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size < 1024 * 1024


def test_a_confidential_payload_loses_its_text_once_handled(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/psdm.sqlite")
    clock = Clock()
    handled, waiting, open_note = (
        _delivery("Confidential Note Hook"),
        _delivery("Confidential Issue Hook"),
        _delivery("Note Hook"),
    )
    store.record_batch([handled, waiting, open_note], now=clock.now)
    store.mark([handled.key, open_note.key], DISPATCHED)
    clock.now += 3600
    pruned = Retention(store, days=30, clock=clock).run_once()
    with store.engine.connect() as conn:
        payloads = dict(conn.execute(sa.select(inbox.c.key, inbox.c.payload)).all())
    assert payloads[handled.key] == ""
    assert BODY in payloads[waiting.key]  # its workflow has not got it yet
    assert BODY in payloads[open_note.key]
    assert pruned["confidential"] == 1
    # the key is kept: the same delivery again is a duplicate, not a new event
    assert store.record_batch([handled], now=clock.now) == ["duplicate"]


def test_deliveries_waiting_for_a_workflow_are_kept_whatever_their_age(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/psdm.sqlite")
    clock = Clock()
    waiting = _delivery()
    store.record_batch([waiting], now=clock.now)
    clock.now += 100 * DAY
    Retention(store, days=30, clock=clock).run_once()
    assert [d.key for d in store.undispatched()] == [waiting.key]


class Counted:
    pass


def test_finished_workflows_go_with_their_stored_payloads(tmp_path):
    """A confidential delivery's workflow (its input holds the payload) goes once finished."""
    router = Router()

    @router.register("Issue Hook")
    def count(event, context):
        yield Counted()

    def runners(settings, store):
        return {Counted: lambda action, event: step("count", lambda: "ok")}

    settings = Settings(
        webhook_secrets=["r"],
        database_url=f"sqlite:///{tmp_path}/psdm.sqlite",
        gitlab_url="http://127.0.0.1:9",
        gitlab_token="t",
        bot_username="psdm-bot",
        queue_polling_seconds=0.05,
        executor_id="retention-test",
        readiness_seconds=3600,
        label_sweep_minutes=0,
    )
    app = create_app(settings, router=router, runners=runners)
    server = run_in_thread(app)
    try:
        body = json.loads((PAYLOADS / "issue-open.json").read_text())
        answer = httpx.post(
            f"{server.url}/webhook",
            json=body,
            headers={
                "X-Gitlab-Token": "r",
                "X-Gitlab-Event": "Confidential Issue Hook",
                "Idempotency-Key": "secret-one",
            },
            timeout=30,
        )
        assert answer.status_code == 202 and "ignored" not in answer.json(), answer.text
        service = app.state.service
        key = "delivery:secret-one"
        assert wait_for(lambda: service.durable.status(key) == "SUCCESS", timeout=60)
        pruned = service.store.prune(time.time() + 3600, 30 * DAY)
        assert pruned.confidential == (key,)
        assert service.durable.prune(time.time() - 30 * DAY, pruned.confidential) == 1
        assert service.durable.status(key) is None
    finally:
        server.stop()


def test_a_comment_nobody_acts_on_is_recorded_without_its_text():
    router, context = build_router(), Context(bot_username="psdm-bot")

    def kept(kind: str, payload: dict) -> str:
        text, parsed = json_body(json.dumps(payload).encode())
        delivery = delivery_of({"x-gitlab-event": kind}, text, parsed)
        return recorded(delivery, triage(router, context, kind, parsed)).payload

    note = json.loads((PAYLOADS / "note-issue.json").read_text())
    note["object_attributes"]["note"] = "Thanks, looks good to me."
    assert kept("Note Hook", note) == ""
    note["object_attributes"]["note"] = "/psdm status"
    assert "/psdm status" in kept("Note Hook", note)  # a workflow will read it
    unhandleable = {**note, "object_attributes": {"note": "/psdm status", "action": "create"}}
    assert "/psdm status" in kept("Note Hook", unhandleable)  # kept to find out why
