"""Finding 3 of issue 23: a note's commands run once per note and command text.

A Maintainer's `/psdm phase next --force`, delivered again by someone holding the hook's
secret with a new Idempotency-Key and a later `updated_at`, once moved the engagement a
second phase in the Maintainer's name. Now every delivery of the same note text answers
with the first outcome, and runs nothing.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app
from tests.commands.world import Desk, open_desk
from tests.conftest import SandboxServer
from tests.service.harness import SECRET, ServiceProcess

pytestmark = pytest.mark.xdist_group("once-per-note")


@pytest.fixture(scope="module")
def engagement(tmp_path_factory):
    running = run_in_thread(create_app(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    sandbox = SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    workdir = tmp_path_factory.mktemp("once")
    service = ServiceProcess(
        sandbox.url, f"sqlite:///{workdir}/db/psdm.sqlite", workdir, "once-per-note"
    )
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PSDM_COMMAND_RATE_LIMIT", "100")
            env.setenv("PSDM_PORTFOLIO_SETTLE_SECONDS", "60")
            desk = open_desk(sandbox, service.start)
        reply, awards = desk.ask(
            "alice",
            '/psdm apply tool-adoption customer="Acme" start_date=2026-01-05 sprints=1 waves=1',
            timeout=300,
        )
        assert awards == {"eyes", "white_check_mark"}, reply
        yield desk
    finally:
        service.stop()
        running.stop()


def _delivery_of(desk: Desk, note_id: int) -> dict:
    hook = f"/projects/{desk.project_id}/hooks/{desk.hook_id}/events"
    return next(
        e["request_data"]
        for e in desk.admin.http_list(hook, get_all=True)
        if e["request_data"].get("object_kind") == "note"
        and e["request_data"]["object_attributes"]["id"] == note_id
    )


def _without_marker(reply: str) -> str:
    return reply.split("<!--", 1)[0]


def test_a_replayed_note_does_not_run_its_command_again(engagement: Desk):
    # given a Maintainer moved the engagement one phase, by force
    note = engagement.comment("alice", "/psdm phase next --force")
    first = engagement.answered(note)
    assert "to " in first
    status_before, _ = engagement.ask("rita", "/psdm status")
    # when someone holding the secret replays that note hook: new key, later updated_at
    payload = _delivery_of(engagement, note)
    payload["object_attributes"]["updated_at"] = "2030-01-01 00:00:00 UTC"
    answer = httpx.post(
        engagement.service.hook_url,
        json=payload,
        headers={
            "X-Gitlab-Token": SECRET,
            "X-Gitlab-Event": "Note Hook",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        timeout=30,
    )
    assert answer.status_code == 202 and not answer.json()["duplicate"], answer.text
    # then, once a later command of the project is answered, the phase has not moved again
    status_after, _ = engagement.ask("rita", "/psdm status")
    assert _without_marker(status_after) == _without_marker(status_before)
    assert len(engagement.replies_to(note)) == 1
