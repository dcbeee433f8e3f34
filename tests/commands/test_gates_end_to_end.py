"""Gates with authority and a close that closes, end to end on each tier: people close gate
issues and comment `/psdm gate pass` in the sandbox, real Issue and Note Hooks reach the
service (a subprocess), and what the bot does is read back from the sandbox.

The engagement names its people: Dave is the project manager (Discovery, Team Readiness,
Sprint 0 and the waves are his to pass), Rita the customer sponsor (the go/no-go and the
acceptance sign-off), a Reporter in GitLab. Alice is a Maintainer and approver of nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.events.commands.reply import reply_marker
from bot.gitlab.engagement import ISSUES, EngagementGitLab
from bot.gitlab.notes import _notes
from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app
from tests.commands.world import Desk, open_desk
from tests.conftest import SandboxServer
from tests.service.harness import ServiceProcess
from tests.service.harness import wait_for as _wait


def wait_for(found, timeout: float = 60, every: float = 1.0):  # type: ignore[no-untyped-def]
    """The first truthy answer of `found` within `timeout` seconds, else None."""
    seen: list = []
    _wait(lambda: seen.append(found()) or seen[-1], timeout, every)
    return seen[-1] if seen and seen[-1] else None


pytestmark = pytest.mark.xdist_group("gates-e2e")
APPLY = (
    '/psdm apply tool-adoption customer="Acme Corp" start_date=2026-01-05 sprints=2 waves=1 '
    "project_manager=dave customer_sponsor=rita"
)
DISCOVERY = "issue:discovery/readout"
READINESS = "issue:team-readiness/checklist"
SPRINT_0 = "issue:sprint-0/exit"
GO = "issue:sprinting/go-no-go"
WAVE = "issue:wave-1/validation"
ACCEPTANCE = "issue:close/acceptance"
ISSUES_ONLY = frozenset({ISSUES})
"""What the test reads to look: the issues and epics (light, as it polls)."""


@pytest.fixture(scope="module", params=["premium", "free"])
def desk(request, tmp_path_factory):
    running = run_in_thread(create_app(tier=request.param, admin_token=DEFAULT_ADMIN_TOKEN))
    sandbox = SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    workdir = tmp_path_factory.mktemp(f"gates-{request.param}")
    service = ServiceProcess(
        sandbox.url, f"sqlite:///{workdir}/db/psdm.sqlite", workdir, f"gates-{request.param}"
    )
    try:
        opened = open_desk(sandbox, service.start)
        reply, awards = opened.ask("alice", APPLY, timeout=300)
        assert awards == {"eyes", "white_check_mark"}, reply
        yield opened
    finally:
        service.stop()
        running.stop()


class Gates:
    """The engagement as its people see it: gate issues by key, milestones, the epic."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        sandbox = desk.sandbox
        self.gl = EngagementGitLab(sandbox.url, sandbox.token, desk.project_id)

    def iid(self, key: str) -> int:
        found = self.gl.read(ISSUES_ONLY).issue_by_key(key)
        assert found is not None, key
        return found.iid

    def issue(self, key: str, who: str | None = None) -> Any:
        return self.desk.project(who).issues.get(self.iid(key))

    def tick(self, key: str) -> None:
        issue = self.issue(key)
        issue.description = issue.description.replace("- [ ]", "- [x]")
        issue.save()

    def close(self, key: str, who: str) -> int:
        issue = self.issue(key, who)
        issue.state_event = "close"
        issue.save()
        return int(issue.iid)

    def state(self, key: str) -> str:
        return str(self.issue(key).state)

    def notes(self, key: str) -> list[str]:
        return [n.body for n in self.issue(key).notes.list(get_all=True)]

    def reopened(self, key: str) -> str | None:
        """The bot's note on a gate it reopened, once the gate is open again."""
        found = [b for b in self.notes(key) if "the bot reopened it" in b]
        return found[-1] if found and self.state(key) == "opened" else None

    def phase(self) -> set[str]:
        epic = self.gl.read(ISSUES_ONLY).epic_by_key("epic:engagement")
        assert epic is not None
        return {n for n in epic.labels if n.startswith("PSDM Phase::")}

    def epic_notes(self) -> list[str]:
        epic = self.gl.read(ISSUES_ONLY).epic_by_key("epic:engagement")
        assert epic is not None
        if self.gl.port.epics.mode == "work_items":
            return [n["body"] for n in _notes(self.gl.connection, "acme", int(epic.ref))[1]]
        path = f"/projects/{self.gl.project}/issues/{epic.ref}/notes"
        return [n["body"] for n in self.gl.rest.http_list(path, get_all=True)]

    def gate_pass(self, key: str, who: str, text: str) -> tuple[str, set[str]]:
        """`text` commented on the gate issue by `who`; the bot's finished reply and awards."""
        issue = self.issue(key, who)
        note = issue.notes.create({"body": text})
        admin = self.issue(key)

        def replied() -> str | None:
            bodies = [n.body for n in admin.notes.list(get_all=True)]
            found = [b for b in bodies if reply_marker(int(note.id)) in b]
            awards = {
                a["name"]
                for a in self.desk.admin.http_list(
                    f"/projects/{self.desk.project_id}/issues/{admin.iid}/notes/{note.id}"
                    "/award_emoji",
                    get_all=True,
                )
            }
            return found[0] if found and awards & {"white_check_mark", "x"} else None

        reply = wait_for(replied, timeout=120, every=0.3)
        assert reply, f"no reply to {text!r} on {key}"
        awards = {
            a["name"]
            for a in self.desk.admin.http_list(
                f"/projects/{self.desk.project_id}/issues/{admin.iid}/notes/{note.id}/award_emoji",
                get_all=True,
            )
        }
        return str(reply), awards


def test_the_gates_hold_their_authority_and_the_close_closes(desk: Desk) -> None:
    gates = Gates(desk)
    # a Reporter who approves nothing closes Discovery's gate (criteria ticked): reopened,
    # with a note naming who may pass it
    gates.tick(DISCOVERY)
    gates.close(DISCOVERY, "rita")
    note = wait_for(lambda: gates.reopened(DISCOVERY), timeout=120)
    assert note and "Only @dave (project manager) may pass this gate." in note
    # its approver closes it with a criterion unticked: reopened, the criterion listed
    issue = gates.issue(DISCOVERY)
    issue.description = issue.description.replace("- [x]", "- [ ]", 1)
    issue.save()
    before = len([b for b in gates.notes(DISCOVERY) if "the bot reopened it" in b])
    gates.close(DISCOVERY, "dave")

    def reopened_again() -> str | None:
        found = gates.reopened(DISCOVERY)
        return found if found and "not all ticked" in found else None

    note = wait_for(reopened_again, timeout=120)
    assert note and "  - [ ] " in note
    assert before == 1  # one note, edited in place
    # ticked and closed by its approver: it passes, and Discovery's time-box closes with it
    gates.tick(DISCOVERY)
    gates.close(DISCOVERY, "dave")
    moved = wait_for(lambda: gates.phase() == {"PSDM Phase::Team Readiness"}, timeout=120)
    logs = "".join(p.read_text() for p in desk.service.workdir.glob("*.log"))
    assert moved, (gates.state(DISCOVERY), gates.phase(), gates.notes(DISCOVERY), logs[-3000:])
    milestones = {m.title: m.state for m in desk.project().milestones.list(get_all=True)}
    assert milestones["Discovery"] == "closed"
    assert gates.state(DISCOVERY) == "closed"
    assert any("Gate passed:" in b and "by @dave" in b for b in gates.epic_notes())

    # `/psdm gate pass`: Alice (a Maintainer) is refused; Dave forces it past its criteria
    reply, awards = gates.gate_pass(READINESS, "alice", "/psdm gate pass")
    # replies keep mentions from pinging (a word joiner after the @)
    assert awards == {"eyes", "x"} and "dave (project manager) may pass" in reply, reply
    reply, awards = gates.gate_pass(
        READINESS, "dave", '/psdm gate pass --force "walked through in the weekly call"'
    )
    assert awards == {"eyes", "white_check_mark"}, reply
    assert gates.state(READINESS) == "closed"
    assert any("walked through in the weekly call" in b for b in gates.epic_notes())
    reply, awards = gates.gate_pass(SPRINT_0, "dave", '/psdm gate pass --force "done"')
    assert awards == {"eyes", "white_check_mark"}, reply
    assert gates.phase() == {"PSDM Phase::Sprinting"}

    # the bot's own sprint close is never refused for the time-boxes it passed
    reply, awards = desk.ask("alice", "/psdm sprint close")
    assert "Earlier time-boxes are still open" not in reply, reply

    # the sponsor passes the go/no-go, the project manager the wave; then the sign-off
    reply, awards = gates.gate_pass(GO, "rita", '/psdm gate pass --force "pilot accepted"')
    assert awards == {"eyes", "white_check_mark"}, reply
    reply, awards = gates.gate_pass(WAVE, "dave", '/psdm gate pass --force "wave validated"')
    assert awards == {"eyes", "white_check_mark"}, reply
    assert gates.phase() == {"PSDM Phase::Close"}
    gates.tick(ACCEPTANCE)
    gates.close(ACCEPTANCE, "rita")

    def closed_out() -> list[str] | None:
        """The close-out report, once the last of its effects (the time-boxes) is done."""
        if gates.phase() != {"PSDM Phase::Close"} or any(
            m.state == "active" for m in desk.project().milestones.list(get_all=True)
        ):
            return None
        found = [b for b in gates.epic_notes() if b.startswith("## Close-out:")]
        return found or None

    report = wait_for(closed_out, timeout=120)
    assert report and "Acceptance signed off by @rita" in report[0]
    project = desk.project()
    open_boxes = [m.title for m in project.milestones.list(get_all=True) if m.state == "active"]
    assert open_boxes == []
    opened = project.issues.list(state="opened", get_all=True)
    handed = [i for i in opened if "Handed over" in i.labels]
    assert handed and all(f"#{i.iid} " in report[0] for i in handed)
    # no weekly status after the sign-off
    reply, awards = desk.ask("alice", "/psdm report")
    assert awards == {"eyes", "x"} and "the engagement is closed" in reply.lower(), reply
