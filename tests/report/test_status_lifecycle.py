"""One status issue open at a time: posting a new week's status closes the earlier weeks'
with a link forward (against the sandbox, three weeks in a row, and as a pure decision)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.effects import CloseSuperseded, CreateIssue, Decision
from bot.domain.model import LiveIssue
from bot.domain.weekly import weekly_status
from bot.gitlab.snapshot import read_weekly
from tests.domain.world import START, blueprint, issues, live
from tests.report.world import PATH, scaffold


def status(iid: int, week: int, state: str = "opened") -> LiveIssue:
    return LiveIssue(iid, f"Weekly status: week {week}", state, (), None, None,
                     f"issue:status/week-{week}")  # fmt: skip


def test_a_new_weeks_status_closes_the_earlier_open_ones_linking_forward() -> None:
    found = [*issues(), status(500, 1), status(501, 2), status(502, 0, "closed")]
    outcome = weekly_status(live(found), blueprint(), START + timedelta(days=15))  # week 3
    assert isinstance(outcome, Decision)
    create, *closes = outcome.effects
    assert isinstance(create, CreateIssue) and create.key == "issue:status/week-3"
    assert closes == [
        CloseSuperseded(500, "issue:status/week-3"),
        CloseSuperseded(501, "issue:status/week-3"),
    ]


def test_the_weeks_status_found_again_still_closes_what_is_left_open() -> None:
    found = [*issues(), status(500, 1), status(503, 3)]
    outcome = weekly_status(live(found), blueprint(), START + timedelta(days=15))
    assert isinstance(outcome, Decision)
    assert outcome.effects == (CloseSuperseded(500, "issue:status/week-3"),)


def test_after_three_weeks_exactly_one_status_issue_is_open(sandbox) -> None:
    scaffolded = scaffold(sandbox, "premium")
    source = (sandbox.url, sandbox.token)
    began = date.today() - timedelta(days=21)
    variables = {"start_date": began.isoformat(), "customer": "Acme"}
    for week in range(3):
        day = began + timedelta(days=7 * week + 1)
        snapshot, _, _ = read_weekly(
            source, PATH, playbook="tool-adoption", variables=variables, today=day,
            make_status=True,
        )  # fmt: skip
        assert snapshot.status_issue is not None
    listed = scaffolded.project.issues.list(get_all=True, state="all", per_page=100)
    weekly = [i for i in listed if "key=issue:status/week-" in (i.description or "")]
    weekly = [i for i in weekly if i.title.startswith("Weekly status: week ") and "(20" in i.title]
    mine = [i for i in weekly if any(f"week {n} (" in i.title for n in (1, 2, 3))]
    assert len(mine) == 3
    opened = [i for i in mine if i.state == "opened"]
    assert [i.title.split(" (")[0] for i in opened] == ["Weekly status: week 3"]
    by_week = {n: next(i for i in mine if f"week {n} (" in i.title) for n in (1, 2, 3)}
    for week, forward in ((1, 2), (2, 3)):  # each closed in the next week, linking to it
        notes = [n.body for n in by_week[week].notes.list(get_all=True)]
        assert any(f"Superseded by #{by_week[forward].iid}" in body for body in notes), notes
