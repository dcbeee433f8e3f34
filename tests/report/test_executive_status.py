"""The weekly status reads as an executive summary, checked section by section: health and
why, accomplished this week, next week's plan, decisions needed, top risks with owners; the
details follow and empty sections are left out; internal items stay out of the customer's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.domain.figures import engagement_figures
from bot.domain.metrics import engagement_metrics
from bot.domain.model import LiveIssue
from bot.domain.raid import RaidFields
from bot.domain.status import weekly_parts
from bot.report.weekly import internal_markdown, status_markdown, weekly_markdown
from tests.domain.world import blueprint, issues, key_of, live

TODAY = date(2026, 1, 14)  # Team Readiness; Discovery (and its readout gate) ended 2026-01-11


def raid_issue(iid: int, title: str, labels: tuple[str, ...], fields: RaidFields, **more):
    return LiveIssue(
        iid,
        title,
        "opened",
        ("PS RAID Log", *labels),
        None,
        None,
        None,
        f"{title}\n\n{fields.table()}",
        web_url=f"http://gitlab.test/acme/delivery/-/issues/{iid}",
        assignees=(fields.owner,) if fields.owner else (),
        due_date=fields.due,
        **more,
    )


RUNNERS = raid_issue(
    901,
    "Runners not ready",
    ("PS Risk", "PS:: Priority High"),
    RaidFields("tara", TODAY + timedelta(days=5), "High", "High", "Book the runners"),
)
UNOWNED = raid_issue(
    902, "SSO may slip", ("PS Risk",), RaidFields(None, None, "Medium", "High", "")
)
LATE = raid_issue(
    903,
    "Firewall change request",
    ("PS Dependency", "PS:: Priority Low"),
    RaidFields("pam", TODAY - timedelta(days=2), "Low", "Low", "Chase the network team"),
)
DECISION = raid_issue(
    904,
    "Choose the SAML provider",
    ("PS Decision", "PS:: Priority Medium"),
    RaidFields("sue", TODAY + timedelta(days=3), None, None, ""),
)
MARGIN = raid_issue(
    905,
    "Fixed fee margin at risk",
    ("PS Risk", "PS:: Priority High"),
    RaidFields("emma", TODAY + timedelta(days=9), "High", "High", "Talk to the EM"),
    confidential=True,
)


def week(extra: tuple[LiveIssue, ...] = (RUNNERS, UNOWNED, LATE, DECISION, MARGIN)):
    found = issues(
        **{
            key_of("discovery/sessions"): {"state": "closed", "closed_on": TODAY - timedelta(1)},
            key_of("discovery/mvp-pilot"): {"state": "closed", "closed_on": TODAY - timedelta(3)},
            # closed long ago: not this week's
            key_of("discovery/scaling"): {"state": "closed", "closed_on": TODAY - timedelta(30)},
            key_of("team-readiness/access"): {"due_date": TODAY + timedelta(days=4)},
        }
    )
    engagement = live([*found, *extra], ("milestone:discovery",))
    bp = blueprint()
    snapshot = engagement_figures(engagement, bp, TODAY)
    metrics = engagement_metrics(engagement, bp, snapshot)
    parts = weekly_parts(engagement, bp, snapshot, metrics, TODAY)
    return snapshot, metrics, parts


def section(text: str, heading: str) -> str:
    """The text under `### heading` up to the next heading."""
    after = text.split(f"### {heading}", 1)[1]
    return after.split("\n#", 1)[0]


def test_the_status_leads_with_the_executive_summary_in_order() -> None:
    snapshot, metrics, parts = week()
    text = weekly_markdown(snapshot, metrics, summary=parts.summary, raid=parts.raid)
    headings = [line for line in text.splitlines() if line.startswith(("### ", "## "))]
    assert headings[:7] == [
        "## Weekly status: Acme delivery, week of 2026-01-12",
        headings[1],  # the health, checked below
        "### Accomplished this week",
        "### Plan for next week",
        "### Decisions needed from the customer",
        "### Top risks",
        "## Details",
    ]
    assert headings[1].startswith("### Overall health: ")


def test_health_is_stated_with_why() -> None:
    snapshot, metrics, parts = week()
    text = weekly_markdown(snapshot, metrics, summary=parts.summary, raid=parts.raid)
    health = section(text, "Overall health")
    # Discovery's readout gate is open past the phase's end, a RAID item is past its due date
    assert health.startswith(": 🟠 AMBER")
    assert "Why: " in health and "gate overdue: Discovery" in health
    assert "1 RAID item(s) past the due date" in health
    assert "failed workflow" not in health, "the bot's own troubles are the PS team's"


def test_accomplished_lists_this_weeks_closed_work_only() -> None:
    snapshot, metrics, parts = week()
    text = weekly_markdown(snapshot, metrics, summary=parts.summary, raid=parts.raid)
    done = section(text, "Accomplished this week")
    assert "Discovery sessions" in done
    assert "MVP pilot" in done
    assert "Scaling considerations" not in done, "closed a month ago"


def test_next_week_lists_the_open_work_of_the_time_box_and_what_is_due() -> None:
    snapshot, metrics, parts = week()
    text = weekly_markdown(snapshot, metrics, summary=parts.summary, raid=parts.raid)
    plan = section(text, "Plan for next week")
    assert "Working agreements" in plan, "open work of the running time-box"
    assert f"Access and environment readiness (due {TODAY + timedelta(days=4)})" in plan
    assert "Sprint 0 starts 2026-01-19" in plan


def test_decisions_needed_name_the_customer_decisions_and_upcoming_sign_offs() -> None:
    snapshot, metrics, parts = week()
    text = weekly_markdown(snapshot, metrics, summary=parts.summary, raid=parts.raid)
    decisions = section(text, "Decisions needed from the customer")
    assert f"#904 Choose the SAML provider (by {TODAY + timedelta(days=3)})" in decisions
    assert "Sign-off: " in decisions and "(Team Readiness), due 2026-01-18" in decisions


def test_top_risks_carry_owner_due_and_mitigation_and_flag_what_is_missing() -> None:
    snapshot, metrics, parts = week()
    text = weekly_markdown(snapshot, metrics, summary=parts.summary, raid=parts.raid)
    risks = section(text, "Top risks")
    due = TODAY + timedelta(5)
    row = f"| #901 Runners not ready | Risk | High | @\u2060tara | {due} | Book the runners |"
    assert row in risks
    assert "**Needs an owner or a due date:** #902 SSO may slip (no owner and due date)" in risks
    assert "**Past its due date:** #903 Firewall change request" in risks
    assert "margin" not in text.lower(), "a confidential RAID item is the PS team's"


def test_internal_items_go_to_the_internal_note() -> None:
    snapshot, metrics, parts = week()
    inside = internal_markdown(snapshot, metrics, parts.raid)
    assert "### Internal RAID items" in inside and "#905 Fixed fee margin at risk" in inside


def test_empty_summary_sections_are_left_out() -> None:
    snapshot, metrics, parts = week(extra=())
    quiet = replace(parts.summary, accomplished=(), decisions=())
    text = weekly_markdown(snapshot, metrics, summary=quiet, raid=parts.raid)
    for gone in ("### Accomplished this week", "### Decisions needed", "### Top risks", "### RAID"):
        assert gone not in text
    assert "### Plan for next week" in text


def test_the_baseline_variance_has_its_slot_once_known() -> None:
    snapshot, metrics, parts = week()
    known = replace(parts.summary, baseline_variance="finish 5 days later than baselined.")
    text = weekly_markdown(snapshot, metrics, summary=known)
    assert "Against the baseline: finish 5 days later than baselined." in text
    assert "Against the baseline" not in weekly_markdown(snapshot, metrics, summary=parts.summary)


def test_the_status_reply_flags_raid_items_for_the_audience() -> None:
    snapshot, metrics, parts = week()
    shown = status_markdown(snapshot, metrics, raid=parts.raid)
    assert "**Needs an owner or a due date:** #902 SSO may slip" in shown
    assert "**Past its due date:** #903" in shown
    assert "#905" not in shown
    inside = status_markdown(snapshot, metrics, raid=parts.raid, internal=True)
    assert "#905" not in inside, "owned and dated: nothing to flag"
