"""The budget end to end: the service scaffolds an engagement with a budget and a role map,
three roles log time with GitLab's `/spend`, and the burn, the estimate at completion and the
warning reach `/psdm status` (asked internally), the weekly report's internal note and the PS
team's dashboard, while a customer viewer and the customer-facing texts show none of it."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import httpx

from bot.config import Settings
from bot.service.app import create_app
from bot.service.threaded import run_in_thread
from tests.commands.world import Desk
from tests.conftest import SandboxServer
from tests.dashboard.conftest import (
    PS_TEAM_GROUP,
    Dashboard,
    ps_team,
    register_application,
    sign_in,
)
from tests.service.harness import BOT, BOT_TOKEN, SECRET, wait_for

PEOPLE = ("emma", "pam", "tara", "pete", "sue", "ada")
WORK = (  # work items of tool-adoption (the first three get time, the last three are done)
    "discovery/sessions",
    "discovery/scaling-considerations",
    "discovery/mvp-pilot",
    "team-readiness/working-agreements",
    "team-readiness/roles",
    "team-readiness/access",
)
TODAY = date.today()  # the service reads the real date; the engagement is placed around it
START = TODAY - timedelta(days=21)


def _settings(sandbox: SandboxServer, tmp_path) -> Settings:
    return Settings(
        gitlab_url=sandbox.url,
        gitlab_token=BOT_TOKEN,
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{tmp_path}/psdm.sqlite",
        bot_username=BOT,
        executor_id="budget-test",
        session_secret="budget-session",
        ps_team_group=PS_TEAM_GROUP,
    )


def _spend(sandbox: SandboxServer, project_id: int, iid: int, who: str, hours: int) -> None:
    answer = httpx.post(
        f"{sandbox.url}/api/v4/projects/{project_id}/issues/{iid}/notes",
        json={"body": f"Worked on it\n\n/spend {hours}h {TODAY - timedelta(days=1)}"},
        headers={"PRIVATE-TOKEN": f"{who}-token"},
        timeout=30,
    )
    assert answer.status_code in (201, 202), answer.text


def test_time_logged_by_three_roles_burns_the_budget_for_the_ps_team_only(
    sandbox: SandboxServer, tmp_path
) -> None:
    sandbox.seed(
        {
            "users": [{"username": BOT, "token": BOT_TOKEN}]
            + [{"username": name} for name in PEOPLE],
            "groups": [
                {
                    "path": "acme",
                    "members": {BOT: 50, "emma": 40, "pam": 40, "tara": 30, "pete": 30},
                },
                ps_team("ada", "emma", "pam", "tara", "pete", BOT),
            ],
            "projects": [
                {"path": "portal", "namespace": "acme", "members": {"sue": 30, "ada": 20}}
            ],
        }
    )
    settings = _settings(sandbox, tmp_path)
    app = create_app(settings)
    service = run_in_thread(app)
    try:
        oauth = register_application(sandbox, f"{service.url}/auth/callback")
        settings.oauth_application_id = oauth["application_id"]
        settings.oauth_application_secret = oauth["secret"]
        settings.public_url = service.url
        gl = sandbox.gitlab()
        project = gl.projects.get("acme/portal")
        desk_issue = project.issues.create({"title": "Engagement desk"})
        hook = project.hooks.create(
            {"url": f"{service.url}/webhook", "token": SECRET, "note_events": True}
            | {"confidential_note_events": True, "issues_events": True}
        )
        tokens = {name: f"{name}-token" for name in PEOPLE}
        desk = Desk(sandbox, None, tokens, project.id, desk_issue.iid, hook.id)  # type: ignore[arg-type]

        reply, awards = desk.ask(
            "pam",
            f'/psdm apply tool-adoption customer="Acme" start_date={START} sprints=2 waves=1 '
            "budget_hours=100 engagement_manager=emma project_manager=pam "
            "technical_architects=tara ps_engineers=pete customer_sponsor=sue "
            'rate_card="pm=150, ta=200, pse=120"',
            timeout=300,
        )
        assert "white_check_mark" in awards, reply

        listed = project.issues.list(get_all=True, per_page=100, state="opened")
        # the scaffold assigned every issue to the people of the role its entry names
        bot_made = [i for i in listed if "psdm-bot key=issue:" in (i.description or "")]
        unassigned = [i.title for i in bot_made if not i.assignees]
        assert bot_made and not unassigned, unassigned
        assigned = {i.description.split("key=", 1)[1].split()[0]: i for i in bot_made}
        names = {k: sorted(a["username"] for a in i.assignees) for k, i in assigned.items()}
        assert names["issue:discovery/sessions"] == ["tara"]
        assert names["issue:raid-log"] == ["pam"]
        assert names["issue:platform/install"] == ["pete"]
        work = [
            next(i for i in listed if f"key=issue:{key} " in (i.description or "")) for key in WORK
        ]
        _spend(sandbox, project.id, work[0].iid, "pam", 10)
        _spend(sandbox, project.id, work[1].iid, "tara", 12)
        _spend(sandbox, project.id, work[2].iid, "pete", 8)
        for done in work[3:6]:
            done.state_event = "close"
            done.save()

        # /psdm status asked in an internal note: the reply (internal too) carries the budget
        inside = (
            desk.project("pam")
            .issues.get(desk.issue_iid, lazy=True)
            .notes.create({"body": "/psdm status", "internal": True})
        )
        status = desk.answered(int(inside.id))
        assert "Budget: 30 of 100 hours spent (30%)" in status, status
        assert "estimate at completion" in status, status
        assert "**Budget warning:** burn (30%) runs" in status, status
        # asked in the open, by the customer's sponsor: the same status without the budget
        open_status, _ = desk.ask("sue", "/psdm status")
        assert "Budget" not in open_status and "hours spent" not in open_status

        # the weekly report: the customer-facing comment without the budget, the internal
        # note beside it with burn by role, the estimate at completion and the warning
        reply, awards = desk.ask("pam", "/psdm report", timeout=300)
        assert "white_check_mark" in awards, reply
        iid = int(reply.split("The status report is on #", 1)[1].split(".", 1)[0])
        notes = project.issues.get(iid).notes.list(get_all=True)
        report = next(n for n in notes if "weekly-report" in n.body)
        budget = next(n for n in notes if "weekly-budget" in n.body)
        assert "Budget" not in report.body and "hours spent" not in report.body
        assert not report.attributes.get("internal")
        assert budget.attributes.get("internal") is True
        for part in (
            "### Budget burn (internal)",
            "Budget: 30 of 100 hours spent (30%)",
            "estimate at completion",
            "- **Warning:** burn (30%) runs",
            "| Project manager | @\u2060pam | 10 | 1,500 USD |",
            "| Technical architect | @\u2060tara | 12 | 2,400 USD |",
            "| PS engineer | @\u2060pete | 8 | 960 USD |",
        ):
            assert part in budget.body, (part, budget.body)

        # the dashboard: the PS team sees the budget; the customer's sponsor does not
        portfolio = app.state.service.portfolio
        portfolio.refresh(project.id)
        assert wait_for(lambda: portfolio.engagement(project.id) is not None, timeout=60)
        board = Dashboard(service, app.state.service, sandbox)
        page = f"/engagements/{project.id}"
        team_page = sign_in(board, "ada").get(page).text
        assert 'id="budget"' in team_page
        assert "30 of 100 hours spent (30%)" in team_page
        assert 'id="budget-warnings"' in team_page
        assert "Technical architect" in team_page
        customer_page = sign_in(board, "sue").get(page).text
        assert 'id="timeline"' in customer_page, "the customer sees the engagement"
        for hidden in ("budget", "hours spent", "Budget", 'id="health-reasons"', 'id="activity"'):
            assert hidden not in customer_page, hidden
        customer_portfolio = sign_in(board, "sue").get("/").text
        assert 'data-project="acme/portal"' in customer_portfolio
        for hidden in ("data-health", 'class="health', 'id="failures"', 'name="health"'):
            assert hidden not in customer_portfolio, hidden
        team_portfolio = sign_in(board, "ada").get("/").text
        assert 'data-health="' in team_portfolio and 'id="failures"' in team_portfolio

        # a new project manager: the record changes and the role's open issues follow
        reply, awards = desk.ask("pam", "/psdm role set pm @tara")
        assert "white_check_mark" in awards, reply
        assert "The project manager is now @\u2060tara" in reply  # replies mention nobody
        raid = next(
            i
            for i in project.issues.list(get_all=True, per_page=100, state="opened")
            if "key=issue:raid-log " in (i.description or "")
        )
        assert [a["username"] for a in raid.assignees] == ["tara"]
        # a risk with substance: its owner assigned and its due date set in GitLab
        due = TODAY + timedelta(days=3)
        reply, _ = desk.ask(
            "pam",
            f"/psdm risk Runners arrive late owner=@pete due={due} probability=high "
            'impact=high mitigation="Use shared runners"',
        )
        risk_iid = int(reply.split("Risk #", 1)[1].split(" ", 1)[0])
        risk = project.issues.get(risk_iid)
        assert [a["username"] for a in risk.assignees] == ["pete"]
        assert risk.due_date == due.isoformat()
        assert "PS:: Priority High" in risk.labels
        assert "| Mitigation | Use shared runners |" in risk.description
        roles, _ = desk.ask("sue", "/psdm role")
        assert "| Project manager (`project_manager`) | @\u2060tara |" in roles
    finally:
        service.stop()


def test_a_scaffold_numbers_its_issues_in_phase_order_with_one_ceremony_issue_per_sprint(
    sandbox: SandboxServer, tmp_path
) -> None:
    from bot.service.store import Store
    from tests.dashboard.conftest import scaffold

    store = Store(f"sqlite:///{tmp_path}/psdm.sqlite")
    try:
        blueprint = scaffold(sandbox, store, "acme/order", {"sprints": "3"})
    finally:
        store.close()
    listed = sandbox.gitlab().projects.get("acme/order").issues.list(get_all=True, per_page=100)
    iid_of = {
        i.description.split("key=", 1)[1].split()[0]: i.iid
        for i in listed
        if "psdm-bot key=issue:" in (i.description or "")
    }
    planned = [i.key for i in blueprint.issues if i.key in iid_of]
    assert len(planned) == len(blueprint.issues)
    phases: dict[str | None, list[int]] = {}
    for issue in blueprint.issues:  # the blueprint lists them phase by phase
        phases.setdefault(issue.phase, []).append(iid_of[issue.key])
    numbers = list(phases.values())
    for before, after in pairwise(numbers):
        assert max(before) < min(after), "every phase's numbers come after the phase before"
    assert "phase:discovery" in next(iter(phases))
    assert iid_of["issue:discovery/stakeholder-planning"] in numbers[0]
    ceremonies = [k for k in planned if k.endswith("/ceremonies")]
    assert ceremonies == [f"issue:sprint-{n}/ceremonies" for n in (1, 2, 3)]
    assert not [k for k in planned if k.endswith(("/planning", "/refinement", "/review"))]
