"""Every `/psdm` command end to end: a comment in the sandbox, a real Note Hook to the service
(a subprocess), the bot's reply and awards in the sandbox. Once per tier."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.playbook import load_playbook, render
from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app
from tests.commands.world import Desk, open_desk
from tests.conftest import PAYLOADS, SandboxServer
from tests.service.harness import SECRET, ServiceProcess

pytestmark = pytest.mark.xdist_group("commands-e2e")
RATE_LIMIT = 30


@pytest.fixture(scope="module", params=["premium", "free"])
def desk(request, tmp_path_factory):
    running = run_in_thread(create_app(tier=request.param, admin_token=DEFAULT_ADMIN_TOKEN))
    sandbox = SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    workdir = tmp_path_factory.mktemp(f"commands-{request.param}")
    service = ServiceProcess(
        sandbox.url, f"sqlite:///{workdir}/db/psdm.sqlite", workdir, f"cmd-{request.param}"
    )
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PSDM_COMMAND_RATE_LIMIT", str(RATE_LIMIT))
            # the dashboard's refresh after each workflow reads the project too; held back
            # here so that the request statistics of one apply are the apply's own
            env.setenv("PSDM_PORTFOLIO_SETTLE_SECONDS", "60")
            opened = open_desk(sandbox, service.start)
        yield opened
    finally:
        service.stop()
        running.stop()


def test_help_lists_every_command_with_its_lowest_role(desk: Desk):
    reply, awards = desk.ask("rita", "/psdm help")
    assert awards == {"eyes", "white_check_mark"}
    for row in (
        "`/psdm status` | Reporter",
        "`/psdm plan [PLAYBOOK]` | Developer",
        "`/psdm sprint close [--force]` | Maintainer",
        "`/psdm pilot add NAME` | Maintainer",
    ):
        assert row in reply


def test_a_reporter_trying_apply_is_refused_politely_with_the_role_needed(desk: Desk):
    reply, awards = desk.ask("rita", "/psdm apply tool-adoption")
    assert awards == {"eyes", "x"}
    assert "needs the Maintainer role" in reply and "you are Reporter" in reply
    assert desk.project().milestones.list(get_all=True) == []


def test_malformed_commands_get_the_error_and_that_commands_help(desk: Desk):
    reply, awards = desk.ask("alice", "/psdm frobnicate now\n/psdm apply one two")
    assert awards == {"eyes", "x"}
    unknown, bad = reply.split("\n---\n")
    assert "There is no command `frobnicate`." in unknown and "| lowest role |" in unknown
    assert "One playbook at most, but got `one` and `two`" in bad
    assert "`/psdm apply [PLAYBOOK] [KEY=VALUE ...]`" in bad


def test_commands_in_code_blocks_and_quotes_are_ignored(desk: Desk):
    body = "\n".join(
        [
            "```",
            "/psdm apply tool-adoption",
            "```",
            "> /psdm risk quoted",
            "",
            "    /psdm risk indented",
            "/psdm help status",
        ]
    )
    reply, awards = desk.ask("alice", body)
    assert awards == {"eyes", "white_check_mark"}
    assert "\n---\n" not in reply and "`/psdm help status`" in reply
    assert not [i for i in desk.project().issues.list(get_all=True) if "quoted" in i.title]


def test_more_commands_than_the_rate_limit_allows_are_refused(desk: Desk):
    reply, awards = desk.ask("rob", "\n".join(["/psdm help status"] * (RATE_LIMIT + 1)))
    assert awards == {"eyes", "x"}
    assert reply.count(":white_check_mark:") == RATE_LIMIT
    assert reply.rstrip().count(f"You ran {RATE_LIMIT} commands within a minute") == 1


def test_a_comment_without_commands_gets_no_answer(desk: Desk):
    quiet = desk.comment("alice", "We talked about /psdm status yesterday.")
    desk.ask("alice", "/psdm help")
    assert desk.replies_to(quiet) == [] and desk.awards(quiet) == set()


ENGAGEMENT = (
    '/psdm apply tool-adoption customer="Acme Corp" start_date=2026-01-05 sprints=2 waves=1'
)


APPLIED: dict[str, dict] = {}
"""The sandbox's request statistics of the one `/psdm apply`, per desk."""


@pytest.fixture(scope="module")
def engagement(desk: Desk) -> Desk:
    # Only the comment reaches the service meanwhile, so the statistics are the apply's own
    # (the milestones it creates would start label checks of their own).
    hook = desk.admin.projects.get(desk.project_id).hooks.get(desk.hook_id)
    hook.milestone_events = hook.issues_events = hook.confidential_issues_events = False
    hook.save()
    desk.sandbox.control("DELETE", "stats")
    reply, awards = desk.ask("alice", ENGAGEMENT, timeout=300)
    APPLIED[desk.sandbox.url] = desk.sandbox.stats()
    hook.milestone_events = hook.issues_events = True
    hook.save()
    assert awards == {"eyes", "white_check_mark"}, reply
    assert "Applied `tool-adoption`" in reply
    return desk


def test_one_apply_reads_the_project_and_each_of_its_lists_once(engagement: Desk):
    routes = APPLIED[engagement.sandbox.url]["routes"]
    # one client for the whole command: the project is read once and kept
    gets = {k: v for k, v in routes.items() if k.startswith("GET")}
    assert routes.get("GET /api/v4/projects/{id}") == 1, gets
    for listed in ("labels", "milestones", "boards"):
        assert routes.get(f"GET /api/v4/projects/{{id}}/{listed}") == 1, (listed, routes)


def test_apply_scaffolds_the_engagement_with_the_variables_given(engagement: Desk):
    titles = {m.title for m in engagement.project().milestones.list(get_all=True)}
    assert {"Discovery", "Sprint 1", "Sprint 2", "Wave 1"} <= titles
    assert "Sprint 3" not in titles


def test_plan_after_apply_shows_nothing_pending_and_changes_nothing(engagement: Desk):
    reply, awards = engagement.ask("dave", "/psdm plan")
    assert awards == {"eyes", "white_check_mark"}
    assert "0 to create, 0 to update, 0 to adopt" in reply and "Nothing was changed" in reply


def test_status_answers_with_phase_progress_and_raid(engagement: Desk):
    reply, awards = engagement.ask("rita", "/psdm status")
    assert awards == {"eyes", "white_check_mark"}, reply
    assert "Acme" in reply or "delivery" in reply
    assert "Discovery" in reply


def test_phase_next_then_a_named_phase_moves_the_phase_label(engagement: Desk):
    reply, _ = engagement.ask("alice", "/psdm phase next")
    assert "to Discovery" in reply or "to Team Readiness" in reply, reply
    # forward past open gates is refused with their links, and done with --force
    reply, awards = engagement.ask("alice", "/psdm phase sprint 0")
    assert awards == {"eyes", "x"}, reply
    assert "Gate: Discovery readout accepted" in reply and "--force" in reply
    reply, awards = engagement.ask("alice", "/psdm phase sprint 0 --force")
    assert awards == {"eyes", "white_check_mark"}, reply
    assert 'to Sprint 0 (label ~"PSDM Phase::Sprint 0")' in reply
    assert "Forced past 2 open gate(s)" in reply
    reply, awards = engagement.ask("alice", "/psdm phase next")
    assert awards == {"eyes", "x"} and "cannot move from Sprint 0 to Sprinting" in reply


def test_risk_adds_a_labelled_raid_item(engagement: Desk):
    reply, awards = engagement.ask("alice", "/psdm risk high: Source SCM tokens expire in May")
    assert awards == {"eyes", "white_check_mark"}
    issue = next(
        i
        for i in engagement.project().issues.list(get_all=True)
        if i.title == "Source SCM tokens expire in May"
    )
    assert {"PS RAID Log", "PS Risk", "PS:: Priority High"} <= set(issue.labels)
    assert f"Risk #{issue.iid}" in reply


def test_sprint_close_moves_unfinished_work_and_opens_the_retrospective(engagement: Desk):
    project = engagement.project()
    milestones = {m.title: m for m in project.milestones.list(get_all=True)}
    in_sprint = project.issues.list(milestone="Sprint 1", get_all=True)
    # ceremonies and governance (retrospective, KPI tracking) stay in the sprint they belong to
    variables = {"customer": "Acme Corp", "start_date": "2026-01-05", "sprints": 2, "waves": 1}
    planned = render(load_playbook("tool-adoption"), variables).issues
    work = {i.title for i in planned if i.kind == "work"}
    governance = {i.iid for i in in_sprint if i.title not in work}
    sprint_1 = [i for i in in_sprint if i.iid not in governance]
    assert len(sprint_1) >= 2
    finished = sprint_1[0]
    finished.state_event = "close"
    finished.save()
    # earlier time-boxes are still open: refused, then closed with --force and a warning
    reply, awards = engagement.ask("alice", "/psdm sprint close")
    assert awards == {"eyes", "x"}, reply
    assert "Earlier time-boxes are still open" in reply
    assert project.milestones.get(milestones["Sprint 1"].id).state == "active"
    reply, awards = engagement.ask("alice", "/psdm sprint close --force")
    assert awards == {"eyes", "white_check_mark"}, reply
    assert project.milestones.get(milestones["Sprint 1"].id).state == "closed"
    moved = {i.iid for i in project.issues.list(milestone="Sprint 2", get_all=True)}
    assert {i.iid for i in sprint_1[1:]} <= moved and finished.iid not in moved
    assert not governance & moved
    retro = next(
        i
        for i in project.issues.list(milestone="Sprint 1", get_all=True)
        if "etrospective" in i.title
    )
    assert "## Sprint figures: Sprint 1" in project.issues.get(retro.iid).description
    assert "Unfinished work moved to Sprint 2" in reply
    notes = project.issues.get(retro.iid).notes.list(get_all=True)
    assert sum("**Warning:** Sprint 1 was closed with" in n.body for n in notes) == 1


def test_retro_refreshes_the_current_sprints_retrospective(engagement: Desk):
    milestones = engagement.project().milestones.list(get_all=True)
    sprints = sorted(
        (int(m.title.split()[1]), m.state) for m in milestones if m.title.startswith("Sprint ")
    )
    current = next(number for number, state in sprints if number > 0 and state == "active")
    reply, awards = engagement.ask("alice", "/psdm retro")
    assert awards == {"eyes", "white_check_mark"}, reply
    assert f"Sprint {current}" in reply and "retrospective #" in reply


def test_wave_add_scales_out_by_one_named_wave(engagement: Desk):
    reply, awards = engagement.ask("alice", "/psdm wave add EMEA", timeout=300)
    assert awards == {"eyes", "white_check_mark"}, reply
    titles = {m.title for m in engagement.project().milestones.list(get_all=True)}
    assert "Wave 2: EMEA" in titles and "Wave 1" in titles
    reply, _ = engagement.ask("dave", "/psdm plan")
    assert "0 to create, 0 to update" in reply


def test_report_past_the_engagements_weeks_goes_on_that_weeks_status(engagement: Desk):
    # the engagement was planned for 2026's first half and is not signed off: it runs over, and
    # a PS manager still reports weekly (posting in a planned week:
    # tests/service/test_periodic.py, tests/report/test_read_snapshot.py)
    reply, awards = engagement.ask("alice", "/psdm report")
    assert awards == {"eyes", "white_check_mark"}, reply
    iid = int(reply.split("The status report is on #", 1)[1].split(".", 1)[0])
    status = engagement.project().issues.get(iid)
    assert "past the planned end" in status.title


def test_a_duplicated_delivery_is_answered_once(desk: Desk):
    note = desk.comment("rita", "/psdm help risk")
    desk.answered(note)
    hook = f"/projects/{desk.project_id}/hooks/{desk.hook_id}/events"

    def deliveries() -> list[dict]:
        return [
            e
            for e in desk.admin.http_list(hook, get_all=True)
            if e["request_data"].get("object_kind") == "note"
            and e["request_data"]["object_attributes"]["id"] == note
        ]

    first = deliveries()[0]
    desk.admin.http_post(f"{hook}/{first['id']}/resend")
    again = [e for e in deliveries() if e["id"] != first["id"]]
    assert len(again) == 1 and '"duplicate":true' in again[0]["response_body"]
    desk.ask("rita", "/psdm help")
    assert len(desk.replies_to(note)) == 1
    assert desk.awards(note) == {"eyes", "white_check_mark"}


def test_a_payload_naming_another_author_runs_nothing(engagement: Desk):
    # given Rita's own comment (a Reporter), made while the hook does not listen to comments
    hook = engagement.admin.projects.get(engagement.project_id).hooks.get(engagement.hook_id)
    hook.note_events = False
    hook.save()
    note_id = engagement.comment("rita", "/psdm phase next")
    hook.note_events = True
    hook.save()
    # when someone holding the hook's secret delivers it as Alice's (a Maintainer)
    alice = engagement.admin.users.list(username="alice")[0]
    payload = json.loads((PAYLOADS / "note-issue.json").read_text())
    payload["user"] = {"id": alice.id, "username": "alice", "name": "Alice"}
    payload["project_id"] = payload["project"]["id"] = engagement.project_id
    payload["object_attributes"].update(
        id=note_id, note="/psdm phase next", author_id=alice.id, noteable_type="Issue"
    )
    payload["issue"] = {"iid": engagement.issue_iid, "project_id": engagement.project_id}
    answer = httpx.post(
        engagement.service.hook_url,
        json=payload,
        headers={"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Note Hook"},
        timeout=30,
    )
    assert answer.status_code < 300, answer.text
    # then, once a later command of the project is answered, the forged one got nothing
    engagement.ask("rita", "/psdm help")
    assert engagement.replies_to(note_id) == []
    assert engagement.awards(note_id) == set()
