"""One sprint, five views, the same figures: the demo's summary, `/psdm status`, the
retrospective, the weekly report and the dashboard all read the domain's one figures function."""

from __future__ import annotations

from datetime import date

from bot.config import Settings
from bot.demo import SPRINT, sprint_summary
from bot.domain import decisions
from bot.domain.effects import CompleteIssue, Decision
from bot.domain.playbooks import default_variables
from bot.gitlab import connect
from bot.gitlab.engagement import read_engagement
from bot.gitlab.snapshot import read_snapshot
from bot.report.weekly import status_markdown, weekly_markdown
from bot.service.portfolio import gitlab_reader
from bot.service.store import Engagement
from tests.report.world import PATH, scaffold, walk_first_sprint


def test_one_sprint_shows_the_same_figures_in_every_view(sandbox) -> None:
    walked = scaffold(sandbox, "premium")
    walk_first_sprint(walked)
    today = date.today()
    snapshot = read_snapshot((sandbox.url, sandbox.token), PATH, today=today)
    sprint = snapshot.sprint(SPRINT)
    assert sprint is not None and sprint.state == "closed" and sprint.done == 1
    line = sprint.line()

    # the demo and `/psdm status` and the weekly report
    assert sprint_summary(snapshot) == f"Sprint 1: {line}"
    assert f"Sprint 1 (closed): {line}" in status_markdown(snapshot)
    assert f"Sprint 1 (closed): {line}" in weekly_markdown(snapshot)

    # the retrospective the milestone-closed event writes
    port = connect(sandbox.url, sandbox.token, PATH)
    live = read_engagement(port)
    closed = next(m for m in live.milestones if m.key == SPRINT)
    outcome = decisions.close_time_box(live, walked.blueprint, closed.id, today)
    assert isinstance(outcome, Decision)
    [retro] = [e for e in outcome.effects if isinstance(e, CompleteIssue)]
    assert f"Sprint 1: {line}." in retro.section

    # the dashboard's figures source: the portfolio's reading of the recorded engagement
    facts = live.project
    settings = Settings(webhook_secrets=["s"], gitlab_url=sandbox.url, gitlab_token=sandbox.token)
    recorded = Engagement(facts.id, PATH, "tool-adoption", default_variables(facts))
    shown = gitlab_reader(settings)(recorded, today).snapshot
    assert shown.sprint(SPRINT) == sprint
    assert [p.tally for p in shown.phases] == [p.tally for p in snapshot.phases]
