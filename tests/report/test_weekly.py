"""The weekly status and the short status render every section from a snapshot."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

from bot.domain.figures import engagement_figures as assemble
from bot.domain.model import DoraMetric, LiveIssue
from bot.report.weekly import no_quick_actions, status_markdown, weekly_json, weekly_markdown
from tests.domain.world import blueprint, issues, key_of, live

TODAY = date(2026, 1, 14)


def snapshot(extra: list[LiveIssue] = (), **changes):
    found = issues(**changes)
    return assemble(live([*found, *extra], ("milestone:discovery",)), blueprint(), TODAY)


def test_weekly_markdown_has_every_section_the_handbook_asks_for() -> None:
    text = weekly_markdown(snapshot())
    for heading in (
        "### Phase and time-box",
        "### Progress by phase",
        "### Progress by workstream",
        "### Sprints",
        "### DORA metrics",
    ):
        assert heading in text
    # sections with nothing in them are left out (this snapshot has no RAID, no retro actions)
    assert "### RAID" not in text and "### Retrospective actions" not in text
    assert "Current phase: **Team Readiness** (phase 2 of 6)" in text
    assert "Current time-box: **Team Readiness**" in text


def test_the_gantt_has_a_section_per_phase_and_marks_closed_time_boxes_done() -> None:
    text = weekly_markdown(snapshot())
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("gantt\n")
    assert "dateFormat YYYY-MM-DD" in block
    for phase in ("Discovery", "Team Readiness", "Sprint 0", "Sprinting", "Scaling"):
        assert f"section {phase}\n" in block
    assert "Discovery :done, t1, 2026-01-05, 2026-01-11" in block
    assert "Team Readiness :active, t2," in block


def test_gantt_task_names_lose_characters_mermaid_would_misread() -> None:
    renamed = replace(snapshot(), project=replace(snapshot().project, name="Acme: #1; big"))
    block = weekly_markdown(renamed).split("```mermaid\n", 1)[1]
    assert "title Acme 1 big, phases and time-boxes" in block


def test_unavailable_dora_is_said_and_never_invented() -> None:
    text = weekly_markdown(snapshot())
    assert "DORA metrics unavailable: GitLab answered 404." in text
    assert weekly_json(snapshot())["dora"] is None


def test_available_dora_metrics_are_shown_in_readable_units() -> None:
    metrics = (
        DoraMetric("deployment_frequency", 2.5, "deployments per day"),
        DoraMetric("lead_time_for_changes", 7200.0, "seconds"),
        DoraMetric("time_to_restore_service", None, "seconds"),
        DoraMetric("change_failure_rate", 0.25, "ratio"),
    )
    text = weekly_markdown(replace(snapshot(), dora=metrics, dora_note="GitLab DORA API"))
    assert "| Deployment frequency | 2.5 deployments per day |" in text
    assert "| Lead time for changes | 2.0 h |" in text
    assert "| Time to restore service | no data |" in text
    assert "| Change failure rate | 25% |" in text


def test_raid_and_retro_actions_appear_in_the_report() -> None:
    risk = LiveIssue(
        900, "SSO | outage", "opened", ("PS Risk", "PS:: Priority High", "Escalated"), 0, None, None
    )
    retro = key_of("sprint-1/retrospective")
    text = weekly_markdown(
        snapshot([risk], **{retro: {"description": "- [ ] Fix the flaky runner\n"}})
    )
    assert "1 open RAID item: 1 high; 1 escalated." in text
    assert "| #900 SSO \\| outage | Risk | High | yes |" in text
    assert "- Fix the flaky runner (from #" in text


def test_no_report_line_starts_with_a_slash() -> None:
    risk = LiveIssue(901, "/close this", "opened", ("PS Risk",), 0, None, None)
    retro = key_of("sprint-1/retrospective")
    snap = snapshot([risk], **{retro: {"description": "- [ ] x\n"}})
    snap = replace(snap, project=replace(snap.project, name="/label ~x"))
    for text in (weekly_markdown(snap), status_markdown(snap)):
        assert not [line for line in text.splitlines() if line.startswith("/")]


def test_no_quick_actions_escapes_only_leading_slashes() -> None:
    assert no_quick_actions("/close\na /b\n/x") == "\\/close\na /b\n\\/x"


def test_status_markdown_is_short_and_carries_phase_progress_and_raid() -> None:
    text = status_markdown(snapshot())
    assert "Current phase: **Team Readiness**" in text
    readiness = snapshot().phase_status("phase:team-readiness")
    assert readiness is not None
    total = readiness.progress.total
    shown = rf"- Team Readiness: 0 of {total} \(0%\)(, weight 0 of \d+)? \(current\)"
    assert re.search(shown, text), text
    assert "No open RAID items." in text
    assert len(text.splitlines()) < 20


def test_weekly_json_is_serialisable_and_carries_derived_figures() -> None:
    data = weekly_json(snapshot())
    text = json.dumps(data)
    assert json.loads(text)["phase"] == "Team Readiness"
    assert data["current_timebox"] == "milestone:team-readiness"
    assert data["next_timebox"] == "milestone:sprint-0"
    assert data["raid_by_severity"] == {"High": 0, "Medium": 0, "Low": 0, "none": 0}
    assert data["phases"][0]["done"] is True
    assert data["timeboxes"][0]["start_date"] == "2026-01-05"


def test_status_markdown_shows_the_last_closed_sprint_with_its_slipped_issues() -> None:
    sprint = next(t for t in blueprint().timeboxes if t.key == "milestone:sprint-1")
    work = [i for i in blueprint().issues if i.milestone == sprint.key and i.kind == "work"]
    found = issues(**{work[0].key: {"state": "closed"}})
    closed = ("milestone:discovery", "milestone:sprint-1")
    text = status_markdown(assemble(live(found, closed), blueprint(), TODAY))
    committed = len(
        [i for i in blueprint().issues if i.milestone == sprint.key and i.kind == "work"]
    )
    assert f"- Sprint 1 (closed): 1 of {committed} work items done, {committed - 1} slipped" in text


def test_status_and_report_link_the_engagement_page_only_when_the_service_has_a_public_url() -> (
    None
):
    from bot.config import Settings

    shown = snapshot()
    quiet = Settings(webhook_secrets=["s"])
    public = Settings(webhook_secrets=["s"], public_url="https://bot.example/")
    assert quiet.engagement_page(7) is None
    page = public.engagement_page(7)
    assert page == "https://bot.example/engagements/7"
    for render in (status_markdown, weekly_markdown):
        assert "engagement page" not in render(shown, None, quiet.engagement_page(7))
        assert f"[engagement page]({page})" in render(shown, None, page)
