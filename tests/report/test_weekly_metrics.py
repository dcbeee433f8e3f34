"""The weekly report leads with the business outcomes and shows the metrics that drive
decisions; `/psdm status` repeats the forecast and the KPIs from the same function."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.figures import engagement_figures
from bot.domain.metrics import engagement_metrics
from bot.domain.model import DoraMetric, LiveIssue
from bot.report.weekly import status_markdown, weekly_json, weekly_markdown
from tests.domain.world import blueprint, issues, key_of, live

TODAY = date(2026, 2, 18)
OUTCOMES = "Repositories Migrated: 40; Retire Jenkins"


def report(budget: str = "", extra: tuple[LiveIssue, ...] = ()):
    bp = blueprint()
    bp = replace(
        bp, variables={**bp.variables, "business_outcomes": OUTCOMES, "budget_hours": budget}
    )
    repos = key_of("wave-1/kpi-repositories")
    found = issues(**{repos: {"description": "- [x] acme/a\n- [x] acme/b\n- [ ] acme/c"}})
    found = [replace(i, time_spent=3600 * 10) if i.iid == 1 else i for i in found]
    engagement = live([*found, *extra], ("milestone:discovery",))
    snapshot = engagement_figures(engagement, bp, TODAY)
    return snapshot, engagement_metrics(engagement, bp, snapshot)


def test_the_first_section_is_progress_towards_the_business_outcomes() -> None:
    snapshot, metrics = report()
    text = weekly_markdown(snapshot, metrics)
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert sections[0] == "### Progress towards the business outcomes"
    assert sections.index("### Phase and time-box") == 1
    assert "| Repositories Migrated | 2 of 40 (5%) | Repositories Migrated so far |" in text
    assert (
        '| Retire Jenkins | - | not measured yet: label its work ~"Outcome: Retire Jenkins" |'
        in text
    )
    assert "| Repositories Migrated | 2 of 3 | Wave 1: 2 of 3 |" in text


def test_budget_burn_only_when_a_budget_is_given_and_only_in_the_internal_version() -> None:
    without = weekly_markdown(*report(), internal=True)
    assert "### Budget burn" not in without
    snapshot, metrics = report(budget="200")
    assert "Budget" not in weekly_markdown(snapshot, metrics), "the customer's report"
    text = weekly_markdown(snapshot, metrics, internal=True)
    assert "### Budget burn (internal)" in text
    assert "Budget: 10 of 200 hours spent (5%)" in text
    order = [line for line in text.splitlines() if line.startswith("### ")]
    assert order.index("### Budget burn (internal)") > order.index("### Sprints")


def test_raid_counts_assumptions_and_dependencies() -> None:
    assumption = LiveIssue(
        901, "SSO ready by March", "opened", ("PS Assumption",), None, None, None
    )
    dependency = LiveIssue(902, "Vendor VPN", "opened", ("PS Dependency",), None, None, None)
    text = weekly_markdown(*report(extra=(assumption, dependency)))
    assert "By type: Risk 0, Assumption 1, Dependency 1, Action 0, Issue 0, Decision 0." in text
    assert "| #901 SSO ready by March | Assumption |" in text


def test_status_shows_the_same_forecast_and_kpis_as_the_report() -> None:
    snapshot, metrics = report()
    forecast = metrics.forecast.text(metrics.unit)
    assert forecast in weekly_markdown(snapshot, metrics)
    short = status_markdown(snapshot, metrics)
    assert f"- {forecast}" in short
    assert "- Repositories Migrated: 2 of 3" in short
    data = weekly_json(snapshot, metrics)
    assert data["metrics"]["kpis"]["totals"]["Repositories Migrated"] == {"done": 2, "planned": 3}


def test_deployment_frequency_is_shown_as_the_periods_total() -> None:
    snapshot, metrics = report()
    total = DoraMetric("deployment_frequency", 30.0, "deployments in 90 days")
    text = weekly_markdown(replace(snapshot, dora=(total,), dora_note="GitLab"), metrics)
    assert "| Deployment frequency | 30 deployments in 90 days |" in text
