"""A close that closes: the acceptance sign-off passed posts the close-out report, hands the
open items over, closes every time-box still open, stops the weekly status, and the portfolio
shows the engagement closed; reopening the gate undoes the closed state."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain import decisions
from bot.domain.closeout import CLOSEOUT_MARKER, HANDED_OVER
from bot.domain.effects import (
    CloseMilestone,
    Decision,
    MoveIssues,
    OnEpic,
    Refusal,
    SetIssueLabels,
    SetIssueState,
    UpsertNote,
)
from bot.domain.figures import engagement_figures
from bot.domain.gates import all_gates
from bot.domain.health import HealthFacts, health
from bot.domain.model import Closer, LiveEngagement, LiveIssue
from bot.domain.weekly import weekly_status
from bot.playbook.blueprint import Blueprint
from tests.domain.world import blueprint, issues, live

ACCEPTANCE = "issue:close/acceptance"
SIGNED = date(2026, 6, 12)


def sponsor_blueprint() -> Blueprint:
    return replace(blueprint(), variables={**blueprint().variables, "customer_sponsor": "sam"})


def ticked(key: str) -> str:
    return next(i for i in blueprint().issues if i.key == key).description.replace("[ ]", "[x]")


def signed_off(by: str = "sam") -> tuple[LiveEngagement, int]:
    """Every gate passed, the acceptance last (by `by`), some work and a risk left open."""
    gates = all_gates(blueprint())
    changes = {k: {"state": "closed", "description": ticked(k)} for k in gates}
    changes[ACCEPTANCE]["closed_on"] = SIGNED
    found = issues(**changes)
    risk = LiveIssue(900, "Vendor VPN late", "opened", ("PS RAID Log", "PS Risk"), None, None, None)
    engagement = live([*found, risk], phase_label="PSDM Phase::Close")
    iid = next(i.iid for i in engagement.issues if i.key == ACCEPTANCE)
    return replace(engagement, closers=(Closer(iid, by, 20),)), iid


def perform(engagement: LiveEngagement, effects) -> LiveEngagement:
    for effect in effects:
        if isinstance(effect, CloseMilestone):
            engagement = engagement.with_milestone_closed(effect.milestone_id)
        elif isinstance(effect, SetIssueLabels):
            engagement = replace(
                engagement,
                issues=tuple(
                    replace(i, labels=(*i.labels, *effect.add)) if i.iid == effect.iid else i
                    for i in engagement.issues
                ),
            )
    return engagement


def test_the_sign_off_posts_the_close_out_report_on_the_engagement_epic() -> None:
    engagement, iid = signed_off()
    outcome = decisions.phase_progress(engagement, sponsor_blueprint(), iid, SIGNED)
    assert isinstance(outcome, Decision), outcome
    report = next(
        e for e in outcome.effects if isinstance(e, UpsertNote) and e.marker == CLOSEOUT_MARKER
    )
    assert report.on == OnEpic("epic:engagement")
    body = report.body
    assert "Acceptance signed off by @sam on 2026-06-12" in body
    for heading in ("### Outcomes", "### Scope delivered", "### Handed over"):
        assert heading in body
    assert "#900 Vendor VPN late" in body


def test_every_open_work_item_and_risk_is_handed_over_and_nothing_moves() -> None:
    engagement, iid = signed_off()
    outcome = decisions.phase_progress(engagement, sponsor_blueprint(), iid, SIGNED)
    assert isinstance(outcome, Decision)
    labelled = {e.iid for e in outcome.effects if isinstance(e, SetIssueLabels)}
    assert all(e.add == (HANDED_OVER,) for e in outcome.effects if isinstance(e, SetIssueLabels))
    planned = {i.key: i for i in blueprint().issues}
    open_work = {
        i.iid
        for i in engagement.issues
        if not i.closed and (i.key is None or planned[i.key].kind == "work")
    }
    assert 900 in labelled and open_work <= labelled
    assert not [e for e in outcome.effects if isinstance(e, MoveIssues)]


def test_the_sign_off_closes_every_time_box_still_open() -> None:
    engagement, iid = signed_off()
    assert any(m.active for m in engagement.milestones)
    outcome = decisions.phase_progress(engagement, sponsor_blueprint(), iid, SIGNED)
    assert isinstance(outcome, Decision)
    after = perform(engagement, outcome.effects)
    assert not [m.title for m in after.milestones if m.active]
    closes = [e.milestone_id for e in outcome.effects if isinstance(e, CloseMilestone)]
    assert len(closes) == len(set(closes))  # each once


def test_after_the_sign_off_no_weekly_status_issue_is_created() -> None:
    engagement, _ = signed_off()
    later = date(2026, 6, 15)  # a week of the plan still to come
    assert isinstance(weekly_status(engagement, blueprint(), later), Refusal)
    reopened = replace(
        engagement,
        issues=tuple(
            replace(i, state="opened", closed_on=None) if i.key == ACCEPTANCE else i
            for i in engagement.issues
        ),
    )
    assert isinstance(weekly_status(reopened, blueprint(), later), Decision)


def test_the_portfolio_shows_a_closed_engagement_closed_with_its_date() -> None:
    engagement, _ = signed_off()
    snapshot = engagement_figures(engagement, blueprint(), date(2026, 9, 1))
    assert snapshot.closed_on == SIGNED
    late = HealthFacts(date(2026, 9, 1), date(2026, 5, 1), date(2026, 9, 1), 3, (), 0)
    assert health(late).status == "red"
    verdict = health(replace(late, closed_on=snapshot.closed_on))
    assert verdict.status == "closed" and verdict.summary == "closed on 2026-06-12"


def test_reopening_the_acceptance_gate_undoes_the_closed_state() -> None:
    engagement, _ = signed_off()
    reopened = replace(
        engagement,
        issues=tuple(
            replace(i, state="opened") if i.key == ACCEPTANCE else i for i in engagement.issues
        ),
    )
    assert engagement_figures(reopened, blueprint(), date(2026, 9, 1)).closed_on is None


def test_a_sign_off_by_someone_else_is_reopened_and_closes_nothing() -> None:
    engagement, iid = signed_off(by="mia")
    outcome = decisions.phase_progress(engagement, sponsor_blueprint(), iid, SIGNED)
    assert isinstance(outcome, Decision)
    assert outcome.effects[0] == SetIssueState(iid, "opened")
    assert not [e for e in outcome.effects if isinstance(e, CloseMilestone | SetIssueLabels)]
