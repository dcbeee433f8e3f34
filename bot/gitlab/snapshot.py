"""Read what the weekly status needs from GitLab, in a handful of list calls.

One project read, every milestone, every issue (100 per page), the group's epics (one REST
list, or one GraphQL query where only work items answer), and the DORA metrics API, which
GitLab serves on Ultimate only: anything else answers 403 or 404 and the report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import gitlab

from bot.engine.marker import parse
from bot.gitlab.connection import Connection, open_connection
from bot.gitlab.engagement import EngagementGitLab, facts_of, live_issue, live_milestone
from bot.gitlab.epics import WorkItemEpics, belongs
from bot.gitlab.errors import GitLabError, explain
from bot.gitlab.project import GitLabProject
from bot.gitlab.rest import every
from bot.playbook import PlaybookError, load_playbook, render
from bot.playbook.blueprint import Blueprint
from bot.playbook.selection import FROM_TOPIC, PlaybookRule, ProjectFacts, choose_playbook
from bot.report.assemble import assemble
from bot.report.live import LiveEngagement, LiveEpic, LiveIssue
from bot.report.snapshot import DoraMetric, EngagementSnapshot, ProjectRef

DORA_METRICS = {
    "deployment_frequency": "deployments in the period",  # a total: GL:doc/api/dora/metrics.md
    "lead_time_for_changes": "seconds",
    "time_to_restore_service": "seconds",
    "change_failure_rate": "ratio",
}
DORA_DAYS = 90
REPORT_MARKER = "<!-- psdm-bot weekly-report -->"
_TOPIC_RULE = PlaybookRule(FROM_TOPIC, topic="psdm::*")

Source = Connection | tuple[str, str]


def read_snapshot(
    source: Source,
    project_path: str,
    *,
    blueprint: Blueprint | None = None,
    playbook: str | None = None,
    variables: Mapping[str, str] | None = None,
    today: date | None = None,
) -> EngagementSnapshot:
    """The engagement's snapshot, arranged by `blueprint` or by `engagement_blueprint`."""
    conn = source if isinstance(source, Connection) else open_connection(*source)
    port = GitLabProject(conn, project_path)
    info = port.load()
    blueprint = blueprint or engagement_blueprint(facts_of(info), playbook, variables)
    try:
        live = _read(port, info)
    except GitLabError:
        raise
    except Exception as error:
        raise explain(
            error, url=conn.url, project=project_path, doing=f"reading {project_path} for a report"
        ) from None
    return assemble(live, blueprint, today or date.today())


def engagement_blueprint(
    facts: ProjectFacts, playbook: str | None = None, variables: Mapping[str, str] | None = None
) -> Blueprint:
    """The blueprint the service would scaffold: the `psdm::` topic's playbook, default variables.

    `playbook` and `variables` override, for engagements scaffolded by other rules or the CLI.
    """
    choice = choose_playbook(facts, [PlaybookRule(playbook)] if playbook else [_TOPIC_RULE])
    if choice is None:
        raise GitLabError(
            f"{facts.path_with_namespace} names no playbook: give it a psdm::<playbook> topic "
            "or pass --playbook"
        )
    try:
        return render(load_playbook(choice.playbook), {**choice.variables, **(variables or {})})
    except PlaybookError as error:
        problems = "; ".join(str(problem) for problem in error.problems)
        raise GitLabError(
            f"cannot render playbook {choice.playbook} for {facts.path_with_namespace}: {problems}"
        ) from None


def _read(port: GitLabProject, info: Mapping[str, Any]) -> LiveEngagement:
    rest = port.rest
    pid = int(info["id"])
    milestones = tuple(
        live_milestone(m)
        for m in every(rest, f"/projects/{pid}/milestones", include_ancestors=True)
    )
    issues = tuple(
        live_issue(i)
        for i in sorted(every(rest, f"/projects/{pid}/issues", state="all"), key=lambda i: i["iid"])
    )
    epics, mode = _epics(port, issues)
    dora, note = _dora(rest, pid)
    project = ProjectRef(
        pid,
        str(info["path_with_namespace"]),
        str(info.get("name") or info["path"]),
        str(info.get("web_url") or ""),
    )
    return LiveEngagement(project, milestones, issues, epics, mode, dora, note)


def _epics(port: GitLabProject, issues: tuple[LiveIssue, ...]) -> tuple[tuple[LiveEpic, ...], str]:
    """Group epics by the legacy REST list, else work items; on Free the issues that stand in."""
    if port.group_id is not None:
        try:
            legacy = every(port.rest, f"/groups/{port.group_id}/epics")
        except gitlab.GitlabHttpError as error:
            if error.response_code not in (403, 404):
                raise
        else:
            return tuple(_legacy_epic(e) for e in legacy if belongs(e, port.pid)), "legacy"
        store = WorkItemEpics.probe(port)
        if store is not None:
            return tuple(_work_item_epic(node) for node in store.nodes), "work_items"
    stand_ins = (
        LiveEpic(i.iid, i.key, i.labels) for i in issues if (i.key or "").startswith("epic:")
    )
    return tuple(stand_ins), "issues"


def _legacy_epic(data: Mapping[str, Any]) -> LiveEpic:
    marker = parse(data.get("description"))[1]
    return LiveEpic(
        int(data["iid"]), marker.key if marker else None, tuple(data.get("labels") or ())
    )


def _work_item_epic(node: Mapping[str, Any]) -> LiveEpic:
    marker = parse(node.get("description"))[1]
    widgets = {w.get("type"): w for w in node.get("widgets") or []}
    labels = ((widgets.get("LABELS") or {}).get("labels") or {}).get("nodes") or []
    return LiveEpic(
        int(node["iid"]), marker.key if marker else None, tuple(lb["title"] for lb in labels)
    )


def _dora(rest: gitlab.Gitlab, pid: int) -> tuple[tuple[DoraMetric, ...] | None, str]:
    """The four DORA metrics over the last 90 days, or None and why GitLab gave none."""
    found = []
    for metric, unit in DORA_METRICS.items():
        try:
            answer = rest.http_get(
                f"/projects/{pid}/dora/metrics",
                query_data={"metric": metric, "interval": "all", "start_date": _since()},
            )
        except gitlab.GitlabHttpError as error:
            if error.response_code in (401, 403, 404):
                return None, (
                    f"unavailable: GitLab answered {error.response_code} to the DORA metrics API "
                    "(it needs GitLab Ultimate and the Reporter role)"
                )
            raise
        found.append(DoraMetric(metric, _dora_value(answer), unit))
    return tuple(found), f"GitLab DORA metrics API, last {DORA_DAYS} days, production environments"


def _since() -> str:
    return date.fromordinal(date.today().toordinal() - DORA_DAYS).isoformat()


def _dora_value(answer: object) -> float | None:
    """`interval=all` answers one value, bare or as a one-item list of {date, value}."""
    if isinstance(answer, list):
        values = [item.get("value") for item in answer if isinstance(item, Mapping)]
        values = [v for v in values if v is not None]
        return float(values[-1]) if values else None
    if isinstance(answer, int | float):
        return float(answer)
    return None


def post_report(
    url: str, token: str, snapshot: EngagementSnapshot, body: str
) -> tuple[int, str] | None:
    """Keep the report as one comment on the week's status issue, edited in place.

    A comment rather than the description: the description's ownership digest would read
    the bot's own report as a person's edit and stop the playbook from updating it.
    Returns (issue iid, issue URL), or None when the engagement has no status issue.
    """
    iid = snapshot.status_issue
    if iid is None:
        return None
    gl = EngagementGitLab(url, token, snapshot.project.id)
    try:
        gl.upsert_note(f"/projects/{snapshot.project.id}/issues/{iid}/notes", REPORT_MARKER, body)
    except Exception as error:
        raise explain(
            error, url=url, project=snapshot.project.path, doing=f"posting the report on #{iid}"
        ) from None
    return iid, f"{snapshot.project.web_url}/-/issues/{iid}"
