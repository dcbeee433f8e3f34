"""POST /webhook of a running service over loopback: authenticity, bounds, dedup, durability."""

import base64
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from bot.config import Settings
from bot.events.router import Router
from bot.service.app import create_app
from bot.service.durable import step
from bot.service.threaded import run_in_thread
from gitlab_sandbox.app import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox.app import create_app as create_sandbox
from tests.conftest import KINDS, PAYLOADS

SIGNING = "whsec_" + base64.b64encode(b"k" * 32).decode()


@dataclass(frozen=True)
class Counted:
    marker: str


def counting_router() -> Router:
    router = Router()

    @router.register("Issue Hook")
    def count(event, context):
        yield Counted(event.event_uuid or "none")

    return router


@pytest.fixture(scope="module")
def gitlab():
    server = run_in_thread(create_sandbox("premium"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory, gitlab):
    handled: list[str] = []

    def runners(settings, store):
        def run(action, event):
            return step("count", lambda: handled.append(action.marker) or "counted")

        return {Counted: run}

    settings = Settings(
        webhook_secrets=["old-secret", "new-secret"],
        signing_secrets=[SIGNING],
        database_url=f"sqlite:///{tmp_path_factory.mktemp('intake')}/psdm.sqlite",
        gitlab_url=gitlab.url,
        gitlab_token=DEFAULT_ADMIN_TOKEN,
        max_body_bytes=64 * 1024,
        queue_polling_seconds=0.05,
        executor_id="intake-test",
        bot_username="psdm-bot",
        metrics_token="scrape-me",
    )
    app = create_app(settings, router=counting_router(), runners=runners)
    server = run_in_thread(app)
    server.handled = handled
    server.store = app.state.service.store
    yield server
    server.stop()


def post(service, body, *, token="new-secret", kind="Issue Hook", headers=None):
    sent = {"X-Gitlab-Event": kind, "Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["X-Gitlab-Token"] = token
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{service.url}/webhook", content=content, headers=sent, timeout=10)


def issue(action="open"):
    data = json.loads((PAYLOADS / "issue-open.json").read_text())
    data["object_attributes"]["id"] = uuid.uuid4().int % 10**9
    data["object_attributes"]["action"] = action
    return data


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def recorded(service) -> int:
    return sum(service.store.counts().values())


def test_every_documented_payload_is_accepted(service):
    for name, kind in KINDS.items():
        body = (PAYLOADS / name).read_bytes()
        response = post(service, body, kind=kind, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 202, name


@pytest.mark.parametrize("token", [None, "", "wrong", "new-secretX", "new"])
def test_a_missing_or_wrong_token_is_refused_and_nothing_recorded(service, token):
    before = recorded(service)
    assert post(service, issue(), token=token).status_code == 401
    assert recorded(service) == before


def test_either_configured_secret_is_accepted_during_rotation(service):
    assert post(service, issue(), token="old-secret").status_code == 202
    assert post(service, issue(), token="new-secret").status_code == 202


def test_malformed_json_is_a_400_and_a_json_array_too(service):
    assert post(service, b"{not json").status_code == 400
    assert post(service, b"[1, 2]").status_code == 400


def test_a_body_over_the_limit_is_refused_with_413(service):
    big = {"object_kind": "issue", "padding": "x" * (70 * 1024)}
    before = recorded(service)
    assert post(service, big).status_code == 413
    assert recorded(service) == before


def test_the_same_delivery_twice_is_recorded_and_handled_once(service):
    marker = str(uuid.uuid4())
    headers = {"Idempotency-Key": str(uuid.uuid4()), "X-Gitlab-Event-UUID": marker}
    body = issue()
    first = post(service, body, headers=headers)
    second = post(service, body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert wait_for(lambda: marker in service.handled)
    time.sleep(0.5)
    assert service.handled.count(marker) == 1


def test_a_group_and_a_project_hook_reporting_one_event_are_handled_once(service):
    marker = str(uuid.uuid4())
    body = issue()
    for hook_key in ("group-hook-delivery", "project-hook-delivery"):
        headers = {"Idempotency-Key": f"{hook_key}-{marker}", "X-Gitlab-Event-UUID": marker}
        assert post(service, body, headers=headers).status_code == 202
    assert wait_for(lambda: marker in service.handled)
    time.sleep(0.5)
    assert service.handled.count(marker) == 1


def test_an_event_no_handler_wants_is_recorded_but_starts_no_workflow(service):
    body = json.loads((PAYLOADS / "note-issue.json").read_text())
    response = post(service, body, kind="Note Hook", headers={"Idempotency-Key": "note-1"})
    assert response.status_code == 202
    assert wait_for(lambda: service.store.counts().get("received", 0) == 0)
    assert service.store.counts()["ignored"] >= 1


def signed(body: bytes, secret=SIGNING, moment=None):
    message = str(uuid.uuid4())
    moment = moment or datetime.now(UTC)
    signature = Webhook(secret).sign(message, moment, body.decode())
    return {
        "webhook-id": message,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


def test_a_valid_signature_is_accepted_without_a_token(service):
    body = json.dumps(issue()).encode()
    assert post(service, body, token=None, headers=signed(body)).status_code == 202


def test_a_bad_signature_is_refused_even_with_the_right_token(service):
    body = json.dumps(issue()).encode()
    headers = signed(body)
    tampered = body.replace(b'"open"', b'"close"')
    assert post(service, tampered, headers=headers).status_code == 401
    other = signed(body, secret="whsec_" + base64.b64encode(b"z" * 32).decode())
    assert post(service, body, token=None, headers=other).status_code == 401


def test_an_old_signature_is_refused_as_a_replay(service):
    body = json.dumps(issue()).encode()
    stale = signed(body, moment=datetime.fromtimestamp(time.time() - 3600, UTC))
    assert post(service, body, token=None, headers=stale).status_code == 401


def test_health_readiness_and_metrics_answer(service):
    assert httpx.get(f"{service.url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{service.url}/readyz")
    assert ready.status_code == 200 and ready.json()["gitlab"] is True
    post(service, issue(), headers={"Idempotency-Key": str(uuid.uuid4())})
    assert httpx.get(f"{service.url}/metrics").status_code == 401
    bearer = {"Authorization": "Bearer scrape-me"}
    text = httpx.get(f"{service.url}/metrics", headers=bearer).text
    assert 'psdm_events_received_total{kind="Issue Hook"}' in text
    assert 'psdm_events_rejected_total{reason="unauthenticated"}' in text
    assert "psdm_backlog" in text
