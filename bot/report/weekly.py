"""The handbook's weekly status from a snapshot: Markdown for GitLab, JSON for machines.

Report text never starts a line with `/`: GitLab would read such a line as a quick action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from bot.domain.engagement import RAID_KINDS
from bot.domain.figures import EngagementSnapshot, Progress, SprintFigures, Tally, TimeBox
from bot.domain.metrics import EngagementMetrics, Flow
from bot.domain.raid import RaidDetail, customer_facing, flagged, named, overdue_items
from bot.domain.status import ExecutiveSummary
from bot.report.timeline import gantt

DORA_NAMES = {
    "deployment_frequency": "Deployment frequency",
    "lead_time_for_changes": "Lead time for changes",
    "time_to_restore_service": "Time to restore service",
    "change_failure_rate": "Change failure rate",
}


def no_quick_actions(text: str) -> str:
    """Escape a `/` that starts a line so GitLab shows it instead of running it."""
    return "\n".join("\\" + line if line.startswith("/") else line for line in text.split("\n"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _bar(progress: Progress, width: int = 10) -> str:
    filled = round(width * progress.percent / 100)
    return "█" * filled + "░" * (width - filled)


def _progress(progress: Progress) -> str:
    text = f"{progress.closed} of {progress.total} ({progress.percent}%)"
    if progress.weighted:
        total = progress.weight_closed + progress.weight_open
        text += f", weight {progress.weight_closed} of {total}"
    return text


def _beside(tally: Tally) -> str:
    """The ceremonies and governance issues of a group, closed of all."""
    return (
        f"{tally.ceremony.closed}/{tally.ceremony.total}, "
        f"{tally.governance.closed}/{tally.governance.total}"
    )


def _dates(box: TimeBox) -> str:
    if box.start_date and box.due_date:
        return f"{box.start_date} to {box.due_date}"
    return "no dates"


def _timebox_line(snapshot: EngagementSnapshot) -> str:
    current, following = snapshot.current_timebox, snapshot.next_timebox
    parts = []
    if current:
        parts.append(f"Current time-box: **{current.title}** ({_dates(current)}, {current.state}).")
        phase = next((p for p in snapshot.phases if p.current), None)
        if snapshot.schedule and phase:
            own = ", ".join(f"{t.title} {_dates(t)}" for t in phase.timeboxes) or "no time-box"
            parts.append(
                f"The phase **{phase.name}** is {snapshot.schedule} of the schedule ({own})."
            )
    else:
        parts.append("No time-box is running.")
    if following:
        parts.append(f"Next: **{following.title}** from {following.start_date or 'a date to set'}.")
    return " ".join(parts)


def _phase_line(snapshot: EngagementSnapshot) -> str:
    if not snapshot.phase:
        return "Current phase: not known (the playbook defines no phases)."
    order = [p.name for p in snapshot.phases]
    line = (
        f"Current phase: **{snapshot.phase}** "
        f"(phase {order.index(snapshot.phase) + 1} of {len(order)})."
    )
    stage = snapshot.stage
    return f"{line} {stage}." if stage and stage != snapshot.phase else line


def _sprint_row(sprint: SprintFigures) -> str:
    unit = "weight" if sprint.weighted else "issues"
    return (
        f"| {_cell(sprint.title)} | {sprint.state} | {sprint.committed} | {sprint.done} | "
        f"{sprint.slipped if sprint.finished else '-'} | {sprint.velocity} {unit} |"
    )


def _table(head: Iterable[str], rows: Iterable[str]) -> list[str]:
    head = list(head)
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *rows]


def _raid_summary(snapshot: EngagementSnapshot) -> str:
    counts = snapshot.raid_by_severity()
    parts = [f"{counts[s]} {s.lower()}" for s in ("High", "Medium", "Low") if counts[s]]
    if counts["none"]:
        parts.append(f"{counts['none']} without severity")
    total = len(snapshot.raid)
    if not total:
        return "No open RAID items."
    return (
        f"{total} open RAID item{'s' if total != 1 else ''}: {', '.join(parts)}; "
        f"{len(snapshot.escalated)} escalated."
    )


def _dora_value(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "seconds":
        return f"{value / 3600:.1f} h"
    if unit == "ratio":
        return f"{100 * value:.0f}%"
    return f"{value:g} {unit}"


def sprint_lines(snapshot: EngagementSnapshot) -> list[str]:
    """The last closed sprint that held work and the running ones, each in the one sentence
    every view uses."""
    running = [s for s in snapshot.sprints if s.state in ("active", "overdue")]
    closed = [s for s in snapshot.sprints if s.state == "closed" and s.committed]
    return [f"{s.title} ({s.state}): {s.line()}" for s in closed[-1:] + running]


def _outcomes(metrics: EngagementMetrics) -> list[str]:
    """The report's first section: progress towards the outcomes the engagement stated."""
    lines = ["### Progress towards the business outcomes", ""]
    if metrics.outcomes:
        lines += _table(
            ("Outcome", "Progress", "Measured by"),
            (
                f"| {_cell(o.outcome.name)} | "
                + (f"{o.done} of {o.of} ({o.percent}%)" if o.of else "-")
                + f" | {_cell(o.how)} |"
                for o in metrics.outcomes
            ),
        )
    else:
        lines.append(
            "No business outcomes are stated yet: give the engagement a `business_outcomes` "
            'variable (`/psdm apply business_outcomes="Repositories Migrated: 1200; ..."`).'
        )
    kpis = metrics.kpis
    if kpis.any:
        lines += ["", "Adoption KPIs (ticked lines of the `KPI::` issues):", ""]
        lines += _table(
            ("KPI", "Done", "Per milestone"),
            (
                f"| {kpi} | {count.text()} | "
                + (
                    ", ".join(
                        f"{_cell(where)}: {found[kpi].text()}"
                        for where, found in kpis.by_milestone.items()
                        if kpi in found and found[kpi].planned
                    )
                    or "-"
                )
                + " |"
                for kpi, count in kpis.totals.items()
                if count.planned or count.done
            ),
        )
    return [*lines, ""]


def _flow_rows(name: str, flow: Flow) -> str:
    return f"| {_cell(name)} | {flow.cycle.text()} | {flow.lead.text()} | {flow.without_start} |"


def _flow(metrics: EngagementMetrics) -> list[str]:
    flow = metrics.flow
    if flow is None:
        return []
    lines = ["", "### Flow: cycle and lead time of work items", ""]
    if not flow.overall.lead.count:
        return [*lines, "No work item has closed yet."]
    rows = [_flow_rows("All work", flow.overall)]
    rows += [_flow_rows(f"Workstream {n}", f) for n, f in flow.by_workstream.items()]
    rows += [_flow_rows(f"Closed in {n}", f) for n, f in flow.by_sprint.items()]
    lines += _table(("Work", "Cycle time", "Lead time", "Never marked started"), rows)
    return [*lines, "", "Definitions: docs/metrics.md (from GitLab's resource events)."]


def _raid_by_kind(snapshot: EngagementSnapshot) -> str:
    counts = {kind: 0 for kind in RAID_KINDS.values()}
    for item in snapshot.raid:
        if item.kind in counts:
            counts[item.kind] += 1
    return "By type: " + ", ".join(f"{kind} {n}" for kind, n in counts.items()) + "."


def budget_section(metrics: EngagementMetrics | None) -> list[str]:
    """The budget, for the PS team only: burn, estimate at completion, warnings, by role."""
    if metrics is None or metrics.budget is None:
        return []
    return ["### Budget burn (internal)", "", *metrics.budget.lines()]


def internal_markdown(
    snapshot: EngagementSnapshot,
    metrics: EngagementMetrics | None,
    raid: Sequence[RaidDetail] = (),
) -> str:
    """What the weekly status keeps for the PS team, posted as an internal note ("" if none):
    the budget and the internal RAID items."""
    section = budget_section(metrics)
    inside = [d for d in raid if d.internal]
    if inside:
        section += ["", "### Internal RAID items", "", *_raid_table(inside)]
    if not section:
        return ""
    head = f"Internal to the PS team: {snapshot.project.name}, report of {snapshot.taken_on}."
    return no_quick_actions("\n".join([head, "", *section]) + "\n")


HEALTH_MARK = {"green": "🟢", "amber": "🟠", "red": "🔴"}


def _summary(summary: ExecutiveSummary) -> list[str]:
    """The executive summary: health and why, the week done and ahead, decisions, risks;
    a part with nothing to say is left out."""
    verdict = summary.health
    lines = [
        f"### Overall health: {HEALTH_MARK[verdict.status]} {verdict.status.upper()}",
        "",
        f"Why: {verdict.summary}.",
    ]
    concerns = [
        r.text for r in verdict.reasons if r.status != "green" and r.status != verdict.status
    ]
    lines += [f"- Also: {text}" for text in concerns]
    if summary.baseline_variance:
        lines += ["", f"Against the baseline: {summary.baseline_variance}"]
    for title, items in (
        ("Accomplished this week", summary.accomplished),
        ("Plan for next week", summary.next_week),
        ("Decisions needed from the customer", summary.decisions),
    ):
        if items:
            lines += ["", f"### {title}", "", *(f"- {_cell(item)}" for item in items)]
    if summary.top_risks or summary.flagged or summary.overdue:
        lines += ["", "### Top risks", ""]
    if summary.top_risks:
        lines += _raid_table(summary.top_risks)
    if summary.flagged:
        lines += [""] + [
            f"- **Needs an owner or a due date:** #{d.iid} {_cell(d.title)} (no {d.missing()})"
            for d in summary.flagged
        ]
    if summary.overdue:
        lines += [""] + [
            f"- **Past its due date:** #{d.iid} {_cell(d.title)} (due {d.fields.due})"
            for d in summary.overdue
        ]
    return [*lines, ""]


def _raid_table(items: Sequence[RaidDetail]) -> list[str]:
    return _table(
        ("Item", "Type", "Severity", "Owner", "Due", "Mitigation"),
        (
            f"| #{d.iid} {_cell(d.title)} | {d.kind}{' (escalated)' if d.escalated else ''} | "
            f"{d.severity or '-'} | {named(d.fields.owner) if d.fields.owner else '-'} | "
            f"{d.fields.due or '-'} | {_cell(d.fields.mitigation) or '-'} |"
            for d in items
        ),
    )


def weekly_markdown(
    snapshot: EngagementSnapshot,
    metrics: EngagementMetrics | None = None,
    page: str | None = None,
    *,
    internal: bool = False,
    summary: ExecutiveSummary | None = None,
    raid: Sequence[RaidDetail] | None = None,
) -> str:
    """The weekly status, as GitLab Markdown with a Mermaid gantt: the executive summary
    first (when given), then the details: business outcomes, time-boxes and progress,
    sprints, flow, RAID, retrospective actions, DORA; sections with nothing in them are left
    out. `raid` (the items with owner and due date) replaces the plain RAID list; the
    customer-facing report lists only customer-facing items. `page`: the engagement's page
    on the bot's dashboard. The budget is only in the `internal` version (a terminal, or the
    internal note beside the report)."""
    project = snapshot.project
    lines = [
        f"## Weekly status: {project.name}, week of {_monday(snapshot.taken_on)}",
        "",
        f"Engagement [{project.path}]({project.web_url}) on playbook `{snapshot.playbook}`; "
        f"report of {snapshot.taken_on}." + _page_link(page),
        "",
    ]
    if summary is not None:
        lines += [*_summary(summary), "---", "", "## Details", ""]
    if metrics and (metrics.outcomes or metrics.kpis.any):
        lines += _outcomes(metrics)
    lines += [
        "### Phase and time-box",
        "",
        _phase_line(snapshot) + " " + _timebox_line(snapshot),
        "",
        gantt(snapshot),
        "",
        "### Progress by phase",
        "",
        *_table(
            ("Phase", "Dates", "Work done", "Progress", "Ceremonies, governance"),
            (
                f"| {'**' + _cell(p.name) + '**' if p.current else _cell(p.name)} | "
                f"{p.start_date or '?'} to {p.due_date or '?'} | {_progress(p.progress)} | "
                f"`{_bar(p.progress)}` | {_beside(p.tally)} |"
                for p in snapshot.phases
            ),
        ),
    ]
    if snapshot.elsewhere.total:
        lines += ["", f"In no phase or workstream: {snapshot.elsewhere.line()}."]
    if snapshot.workstreams:
        lines += [
            "",
            "### Progress by workstream",
            "",
            *_table(
                ("Workstream", "Done", "Progress"),
                (
                    f"| {_cell(w.title)} | {_progress(w.progress)} | `{_bar(w.progress)}` |"
                    for w in snapshot.workstreams
                ),
            ),
        ]
    if snapshot.sprints:
        lines += ["", "### Sprints", ""]
        lines += _table(
            ("Sprint", "State", "Committed", "Done", "Slipped", "Velocity"),
            (_sprint_row(s) for s in snapshot.sprints),
        )
        velocity = snapshot.velocity
        lines += ["", *(f"- {line}" for line in sprint_lines(snapshot))]
        lines += [
            "",
            (
                f"Average velocity: {velocity:g} {snapshot.velocity_unit} per finished sprint."
                if velocity is not None
                else "Average velocity: no sprint has finished yet."
            ),
        ]
        if metrics:
            lines += ["", metrics.forecast.text(metrics.unit)]
    if metrics:
        lines += _flow(metrics)
        if internal and metrics.budget:
            lines += ["", *budget_section(metrics)]
    lines += _raid_details(snapshot, raid, internal)
    if snapshot.retro_actions:
        lines += ["", "### Retrospective actions", ""]
        lines += [f"- {a.text} (from #{a.issue_iid})" for a in snapshot.retro_actions]
    if snapshot.dora is None and snapshot.dora_note:
        lines += ["", "### DORA metrics", "", f"DORA metrics {snapshot.dora_note}."]
    elif snapshot.dora is not None:
        lines += ["", "### DORA metrics", ""]
        lines += _table(
            ("Metric", "Value"),
            (
                f"| {DORA_NAMES.get(m.name, m.name)} | {_dora_value(m.value, m.unit)} |"
                for m in snapshot.dora
            ),
        )
        lines += ["", f"Source: {snapshot.dora_note}."]
    return no_quick_actions("\n".join(lines) + "\n")


def _raid_details(
    snapshot: EngagementSnapshot, raid: Sequence[RaidDetail] | None, internal: bool
) -> list[str]:
    """The RAID section: with owners and due dates when the details were read."""
    if raid is not None:
        shown = list(raid) if internal else list(customer_facing(raid))
        if not shown:
            return []
        return ["", "### RAID: risks, assumptions, issues, dependencies", "", *_raid_table(shown)]
    if not snapshot.raid:
        return []
    lines = ["", "### RAID: risks, assumptions, issues, dependencies", ""]
    lines += [_raid_summary(snapshot), "", _raid_by_kind(snapshot), ""]
    lines += _table(
        ("Item", "Type", "Severity", "Escalated"),
        (
            f"| #{i.iid} {_cell(i.title)} | {i.kind} | {i.severity or '-'} | "
            f"{'yes' if i.escalated else 'no'} |"
            for i in snapshot.raid
        ),
    )
    return lines


def _page_link(page: str | None) -> str:
    return f" Timeline, trends and health: [engagement page]({page})." if page else ""


def status_markdown(
    snapshot: EngagementSnapshot,
    metrics: EngagementMetrics | None = None,
    page: str | None = None,
    *,
    internal: bool = False,
    raid: Sequence[RaidDetail] = (),
) -> str:
    """The short answer to `/psdm status`: phase, time-box, progress, velocity and forecast,
    adoption KPIs, open RAID by severity with the items that need an owner or a date or are
    overdue, and a link to the engagement's page when given. The budget and internal RAID
    items only when `internal` (asked in an internal note, answered in one)."""
    lines = [
        f"**{snapshot.project.name}** on `{snapshot.playbook}`, {snapshot.taken_on}",
        "",
        _phase_line(snapshot) + " " + _timebox_line(snapshot),
        "",
    ]
    lines += [
        f"- {p.name}: {_progress(p.progress)}" + (" (current)" if p.current else "")
        for p in snapshot.phases
    ]
    lines += [f"- {line}" for line in sprint_lines(snapshot)]
    if snapshot.velocity is not None:
        lines.append(f"- Velocity: {snapshot.velocity:g} {snapshot.velocity_unit} per sprint")
    if metrics:
        if snapshot.sprints:
            lines.append(f"- {metrics.forecast.text(metrics.unit)}")
        lines += [
            f"- {kpi}: {count.text()}"
            for kpi, count in metrics.kpis.totals.items()
            if count.planned or count.done
        ]
        if internal and metrics.budget:
            lines.append(f"- {metrics.budget.text()} (internal)")
            lines += [f"- **Budget warning:** {w}" for w in metrics.budget.warnings]
    lines += ["", _raid_summary(snapshot) + _page_link(page)]
    shown = list(raid) if internal else list(customer_facing(raid))
    lines += [
        f"- **Needs an owner or a due date:** #{d.iid} {_cell(d.title)} (no {d.missing()})"
        for d in flagged(shown)
    ]
    lines += [
        f"- **Past its due date:** #{d.iid} {_cell(d.title)} (due {d.fields.due})"
        for d in overdue_items(shown, snapshot.taken_on)
    ]
    return no_quick_actions("\n".join(lines) + "\n")


def weekly_json(
    snapshot: EngagementSnapshot, metrics: EngagementMetrics | None = None
) -> dict[str, Any]:
    """The snapshot as JSON-ready data, with the derived figures the Markdown shows."""
    data: dict[str, Any] = _plain(asdict(snapshot))
    if metrics:
        data["metrics"] = _plain(asdict(metrics))
        data["metrics"]["forecast"]["slip_days"] = metrics.forecast.slip_days
    current, following = snapshot.current_timebox, snapshot.next_timebox
    data["current_timebox"] = current.key if current else None
    data["next_timebox"] = following.key if following else None
    data["velocity"] = snapshot.velocity
    data["velocity_unit"] = snapshot.velocity_unit
    data["raid_by_severity"] = snapshot.raid_by_severity()
    data["escalated"] = [item.iid for item in snapshot.escalated]
    for phase, status in zip(data["phases"], snapshot.phases, strict=True):
        phase["percent"] = status.progress.percent
        phase["done"] = status.done
    for sprint, figures in zip(data["sprints"], snapshot.sprints, strict=True):
        sprint["velocity"] = figures.velocity
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _monday(day: date) -> date:
    return date.fromordinal(day.toordinal() - day.weekday())
