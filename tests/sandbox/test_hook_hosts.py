"""The sandbox delivers webhooks to loopback only unless told otherwise, and logs a refusal as
GitLab logs a delivery its URL blocker refused: an `internal error` that counts as a failure."""

from __future__ import annotations

import httpx
import pytest

from gitlab_sandbox.model import Hook
from gitlab_sandbox.state import State, now
from gitlab_sandbox.webhooks.delivery import BLOCKED, Deliverer, may_deliver
from gitlab_sandbox.webhooks.emitter import Job

from .test_webhooks import _wait_for_log


@pytest.mark.parametrize(
    ("url", "hosts", "allowed"),
    [
        ("http://127.0.0.1:8000/hook", (), True),
        ("http://127.5.6.7/hook", (), True),
        ("http://[::1]:9000/hook", (), True),
        ("http://localhost/hook", (), True),
        ("http://LOCALHOST./hook", (), True),
        ("http://bot.localhost/hook", (), True),
        ("http://hook.url", (), False),
        ("https://example.com/hook", (), False),
        ("http://10.0.0.5/hook", (), False),
        ("http://0.0.0.0/hook", (), False),
        ("http://localhost.example.com/hook", (), False),
        ("http://127.0.0.1.nip.io/hook", (), False),
        ("http://user@hook.url/hook", (), False),
        ("not a url", (), False),
        ("http://[::1/hook", (), False),
        ("http://hook.url/x", ("hook.url",), True),
        ("http://HOOK.URL./x", ("hook.url",), True),
        ("http://other.url/x", ("hook.url",), False),
        ("https://example.com/hook", ("*",), True),
    ],
)
def test_which_hosts_get_deliveries(url, hosts, allowed):
    assert may_deliver(url, frozenset(hosts)) is allowed


def _job(hook_id: int) -> Job:
    return Job(
        hook_id=hook_id,
        trigger="issue_hooks",
        event_header="Issue Hook",
        payload={"object_kind": "issue"},
        instance="http://127.0.0.1",
        event_uuid="uuid",
        idempotency_key="key",
    )


@pytest.mark.parametrize(("hosts", "sent"), [((), False), (("hook.url",), True)])
def test_a_refused_host_gets_no_request_and_a_failed_log(hosts, sent):
    """Delivered through a recording transport: nothing leaves for a host not allowed."""
    state = State("premium", "token")
    requests: list[httpx.Request] = []
    deliverer = Deliverer(state, workers=1, hook_hosts=hosts)
    deliverer.client = httpx.Client(
        transport=httpx.MockTransport(lambda r: requests.append(r) or httpx.Response(200))
    )
    with state.lock:
        hook = _system_hook(state, "http://hook.url/")
    log = deliverer.deliver(_job(hook.id), state.generation)
    deliverer.close()
    assert log is not None
    assert [str(r.url) for r in requests] == (["http://hook.url/"] if sent else [])
    if sent:
        assert log.response_status == "200"
    else:
        assert (log.response_status, log.internal_error_message) == ("internal error", BLOCKED)
        assert deliverer.failed == 1


def _system_hook(state: State, url: str) -> Hook:
    hook = Hook(state.next_id("hook"), "system", None, url, now(), {"system_hook": True})
    state.hooks[hook.id] = hook
    return hook


def test_a_hook_on_another_host_logs_the_refusal_and_backs_off(sandbox):
    """End to end: a project hook naming `http://hook.url` (as independent clients' tests do)
    is created, fires, is refused, and is disabled after four refusals like any failing hook."""
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "App", "namespace_id": group.id})
    hook = project.hooks.create({"url": "http://hook.url", "issues_events": True})
    for number in range(4):
        project.issues.create({"title": f"Refused {number}"})
        logs = _wait_for_log(project, hook.id, number + 1)
    assert {(log["response_status"], log["internal_error_message"]) for log in logs} == {
        ("internal error", BLOCKED)
    }
    assert project.hooks.get(hook.id).alert_status == "temporarily_disabled"
    assert sandbox.stats()["webhooks"]["failed"] == 4
