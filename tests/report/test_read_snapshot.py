"""Reading a scaffolded engagement from the sandbox, on premium and Free, and posting the report."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.domain.decisions import REPORT_MARKER
from bot.gitlab.connection import open_connection
from bot.gitlab.errors import GitLabError
from bot.gitlab.snapshot import post_report, read_snapshot
from bot.report.weekly import weekly_markdown
from tests.report.world import PATH, Scaffolded, scaffold, walk_first_sprint


@pytest.fixture(params=["premium", "free"])
def scaffolded(request) -> Scaffolded:
    tier = request.param
    return scaffold(
        request.getfixturevalue("sandbox" if tier == "premium" else "sandbox_free"), tier
    )


def test_a_walked_sprint_shows_in_the_snapshot(scaffolded: Scaffolded) -> None:
    walked = walk_first_sprint(scaffolded)
    conn = open_connection(scaffolded.sandbox.url, scaffolded.sandbox.token)
    snapshot = read_snapshot(conn, PATH, today=date.today())

    assert snapshot.playbook == "tool-adoption"
    # one epic detection for the engine and the figures: work items where GitLab has them
    assert snapshot.epic_mode == ("issues" if scaffolded.tier == "free" else "work_items")
    assert snapshot.phase == "Discovery"
    assert snapshot.phases[0].progress.closed == walked["discovery_closed"]
    sprint = next(s for s in snapshot.sprints if s.key == "milestone:sprint-1")
    assert sprint.state == "closed"
    assert (sprint.committed, sprint.done) == (walked["sprint_work"], 1)
    assert sprint.slipped == walked["sprint_work"] - 1
    assert [(i.kind, i.severity, i.escalated) for i in snapshot.raid] == [("Risk", "High", True)]
    assert [a.text for a in snapshot.retro_actions] == ["Book the SSO workshop"]
    assert snapshot.dora is None
    # Below Ultimate, GitLab refuses the DORA API (403, GL:doc/api/dora/metrics.md): the
    # capabilities say so, and the API is not asked
    assert "needs GitLab Ultimate" in snapshot.dora_note
    assert scaffolded.tier.capitalize() in snapshot.dora_note
    routes = scaffolded.sandbox.stats()["routes"]
    assert not any("dora" in route for route in routes)
    assert conn.requests <= 7


def test_the_phase_label_on_the_engagement_epic_sets_the_current_phase(
    scaffolded: Scaffolded,
) -> None:
    if scaffolded.tier == "free":
        epic = scaffolded.issue("epic:engagement")
        epic.labels = ["PSDM Phase::Sprint 0"]
        epic.save()
    else:
        gl = scaffolded.sandbox.gitlab()
        group = gl.groups.get("acme")
        epic = next(
            e
            for e in gl.http_list(f"/groups/{group.id}/epics", get_all=True)
            if "key=epic:engagement " in (e["description"] or "")
        )
        gl.http_put(
            f"/groups/{group.id}/epics/{epic['iid']}", post_data={"labels": "PSDM Phase::Sprint 0"}
        )
    snapshot = read_snapshot((scaffolded.sandbox.url, scaffolded.sandbox.token), PATH)
    assert snapshot.phase == "Sprint 0"


def test_posting_twice_keeps_one_report_comment_on_the_status_issue(
    scaffolded: Scaffolded,
) -> None:
    url, token = scaffolded.sandbox.url, scaffolded.sandbox.token
    snapshot = read_snapshot((url, token), PATH)
    assert snapshot.status_issue is not None
    first = post_report(url, token, snapshot, weekly_markdown(snapshot))
    second = post_report(url, token, snapshot, "changed body")
    assert first == second
    assert first[0] == snapshot.status_issue
    notes = scaffolded.project.issues.get(snapshot.status_issue).notes.list(get_all=True)
    ours = [n for n in notes if REPORT_MARKER in n.body]
    assert len(ours) == 1
    assert ours[0].body.startswith("changed body")


def test_a_project_without_a_playbook_topic_is_refused_with_what_to_do(sandbox) -> None:
    gl = sandbox.gitlab()
    gl.projects.create({"name": "plain", "path": "plain"})
    with pytest.raises(GitLabError, match="psdm::<playbook> topic or pass --playbook"):
        read_snapshot((sandbox.url, sandbox.token), "root/plain")


def test_report_command_prints_json_and_posts(sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    scaffolded = scaffold(sandbox, "premium")
    monkeypatch.setenv("GITLAB_URL", scaffolded.sandbox.url)
    monkeypatch.setenv("GITLAB_TOKEN", scaffolded.sandbox.token)
    result = CliRunner().invoke(app, ["report", "--project", PATH, "--format", "json", "--post"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["playbook"] == "tool-adoption"
    assert data["project"]["path"] == PATH
    assert f"posted on #{data['status_issue']}" in result.stderr


def test_report_post_on_an_engagement_running_over_makes_that_weeks_status(
    sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an engagement that started 40 weeks ago, planned for fewer, its close not signed off
    scaffolded = scaffold(sandbox, "premium")
    monkeypatch.setenv("GITLAB_URL", scaffolded.sandbox.url)
    monkeypatch.setenv("GITLAB_TOKEN", scaffolded.sandbox.token)
    began = date.fromordinal(date.today().toordinal() - 7 * 40)
    args = ["report", "--project", PATH, "--post", "--format", "json"]
    args += ["--playbook", "tool-adoption", "--var", f"start_date={began}"]
    # when the weekly job posts the report, twice
    result = CliRunner().invoke(app, args)
    again = CliRunner().invoke(app, args)
    # then week 41's status issue is created once, says it is past the plan, and holds the report
    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    iid = json.loads(result.stdout)["status_issue"]
    issue = scaffolded.project.issues.get(iid)
    assert "key=issue:status/week-41 " in issue.description
    assert (
        issue.title.startswith("Weekly status: week 41 (") and "past the planned end" in issue.title
    )
    titles = [i.title for i in scaffolded.project.issues.list(get_all=True, search="week 41")]
    assert titles == [issue.title]
    assert any(REPORT_MARKER in n.body for n in issue.notes.list(get_all=True))


def test_report_command_names_a_missing_project(sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_URL", sandbox.url)
    monkeypatch.setenv("GITLAB_TOKEN", sandbox.token)
    result = CliRunner().invoke(app, ["report", "--project", "nobody/nothing"])
    assert result.exit_code == 1
    assert "project nobody/nothing not found" in result.stderr


def test_playbook_and_variables_given_explicitly_replace_the_topic(sandbox) -> None:
    gl = sandbox.gitlab()
    gl.projects.create({"name": "plain", "path": "plain"})
    snapshot = read_snapshot(
        (sandbox.url, sandbox.token),
        "root/plain",
        playbook="tool-adoption",
        variables={"start_date": "2026-03-02"},
    )
    assert snapshot.playbook == "tool-adoption"
    assert snapshot.timeboxes[0].start_date == date(2026, 3, 2)
    assert {t.state for t in snapshot.timeboxes} == {"missing"}
    assert snapshot.status_issue is None
