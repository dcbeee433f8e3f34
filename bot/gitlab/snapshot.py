"""Read an engagement's figures from GitLab for the report, the CLI and the dashboard.

One project read and a handful of list calls (`read_engagement`), arranged by the domain's one
figures function; the blueprint comes from the same playbook choice every way in uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import date

from bot.clock import SYSTEM, SettableClock
from bot.domain.decisions import REPORT_MARKER
from bot.domain.effects import Decision
from bot.domain.figures import EngagementSnapshot, engagement_figures
from bot.domain.metrics import EngagementMetrics, engagement_metrics
from bot.domain.model import ProjectFacts
from bot.domain.playbooks import DEFAULT_RULES, Asked, PlaybookRule, choose_playbook
from bot.domain.status import WeeklyParts, weekly_parts
from bot.domain.weekly import INTERNAL_REPORT_MARKER, weekly_status
from bot.gitlab.commands import Performer
from bot.gitlab.connection import Connection, open_connection
from bot.gitlab.engagement import EngagementGitLab, read_engagement
from bot.gitlab.errors import GitLabError, explain, explained
from bot.gitlab.history import work_histories
from bot.gitlab.project import GitLabProject
from bot.playbook import PlaybookError, load_playbook, render
from bot.playbook.blueprint import Blueprint

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
    """The engagement's figures, arranged by `blueprint` or by `engagement_blueprint`."""
    conn = source if isinstance(source, Connection) else open_connection(*source)
    day = today or SYSTEM.today()
    port = GitLabProject(conn, project_path)
    with _reading_for_a_report(conn, project_path):
        live = read_engagement(port, today=day)
    blueprint = blueprint or engagement_blueprint(live.project, playbook, variables)
    return engagement_figures(live, blueprint, day)


def _reading_for_a_report(conn: Connection, project_path: str) -> AbstractContextManager[None]:
    doing = f"reading {project_path} for a report"
    return explained(url=conn.url, project=project_path, doing=doing)


def engagement_blueprint(
    facts: ProjectFacts,
    playbook: str | None = None,
    variables: Mapping[str, str] | None = None,
    rules: tuple[PlaybookRule, ...] = DEFAULT_RULES,
) -> Blueprint:
    """The blueprint the service would scaffold: by the rules (the `psdm::` topic by default),
    or the playbook and variables given (engagements scaffolded by other rules or the CLI)."""
    asked = Asked(playbook, dict(variables or {}))
    choice = choose_playbook(facts, None, asked, rules)
    if choice is None:
        raise GitLabError(
            f"{facts.path_with_namespace} names no playbook: give it a psdm::<playbook> topic "
            "or pass --playbook"
        )
    try:
        return render(load_playbook(choice.playbook), dict(choice.variables))
    except PlaybookError as error:
        problems = "; ".join(str(problem) for problem in error.problems)
        raise GitLabError(
            f"cannot render playbook {choice.playbook} for {facts.path_with_namespace}: {problems}"
        ) from None


def post_report(
    url: str, token: str, snapshot: EngagementSnapshot, body: str, internal: str = ""
) -> tuple[int, str] | None:
    """Keep the report as one comment on the week's status issue, edited in place.

    A comment rather than the description: the description's ownership digest would read
    the bot's own report as a person's edit and stop the playbook from updating it.
    `internal` (the budget) goes beside it as an internal note, kept the same way.
    Returns (issue iid, issue URL), or None when the engagement has no status issue.
    """
    iid = snapshot.status_issue
    if iid is None:
        return None
    gl = EngagementGitLab(url, token, snapshot.project.id)
    try:
        path = f"/projects/{snapshot.project.id}/issues/{iid}/notes"
        gl.upsert_note(path, REPORT_MARKER, body)
        if internal:
            gl.upsert_note(path, INTERNAL_REPORT_MARKER, internal, internal=True)
    except Exception as error:
        raise explain(
            error, url=url, project=snapshot.project.path, doing=f"posting the report on #{iid}"
        ) from None
    return iid, f"{snapshot.project.web_url}/-/issues/{iid}"


def read_report(
    source: Source,
    project_path: str,
    *,
    playbook: str | None = None,
    variables: Mapping[str, str] | None = None,
    today: date | None = None,
    make_status: bool = False,
) -> tuple[EngagementSnapshot, EngagementMetrics]:
    """The figures and metrics of the weekly report (the work's history read for flow times).

    With `make_status` (`report --post`, the CI schedule), this week's status issue is found
    or created first, so the report has its issue in the week it covers.
    """
    snapshot, metrics, _ = read_weekly(
        source,
        project_path,
        playbook=playbook,
        variables=variables,
        today=today,
        make_status=make_status,
    )
    return snapshot, metrics


def read_weekly(
    source: Source,
    project_path: str,
    *,
    playbook: str | None = None,
    variables: Mapping[str, str] | None = None,
    today: date | None = None,
    make_status: bool = False,
) -> tuple[EngagementSnapshot, EngagementMetrics, WeeklyParts]:
    """`read_report`, with the executive summary and the RAID details the report leads with;
    the earlier weeks' status issues are closed when this week's is made."""
    conn = source if isinstance(source, Connection) else open_connection(*source)
    day = today or SYSTEM.today()
    gl = EngagementGitLab(conn.url, "", project_path, connection=conn, clock=SettableClock(day))
    with _reading_for_a_report(conn, project_path):
        live = gl.read()
        blueprint = engagement_blueprint(live.project, playbook, variables)
        made = weekly_status(live, blueprint, day)
        if make_status and isinstance(made, Decision) and made.effects:
            for effect in made.effects:
                Performer(gl).perform(effect)
            live = gl.read()
        histories = work_histories(conn.rest, live.project.id, blueprint)
    snapshot = engagement_figures(live, blueprint, day)
    metrics = engagement_metrics(live, blueprint, snapshot, histories)
    return snapshot, metrics, weekly_parts(live, blueprint, snapshot, metrics, day)
