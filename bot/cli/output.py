"""`psdm-bot plan` and `psdm-bot apply` once the playbook is rendered: output, exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from bot.config import normalise_gitlab_url
from bot.domain.playbooks import default_variables
from bot.engine.apply import ApplyResult, Progress, apply
from bot.engine.diff import diff
from bot.engine.plan import Plan
from bot.gitlab.engagement import facts_of
from bot.gitlab.errors import GitLabError
from bot.gitlab.project import GitLabProject
from bot.gitlab.reconcile import connect
from bot.playbook.blueprint import Blueprint

NOTHING, ERROR, PENDING = 0, 1, 2
Echo = Callable[[str], None]
Render = Callable[[Mapping[str, str]], Blueprint]
"""The playbook, rendered with the variables it is given."""


def credentials(env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """GITLAB_URL (or CI_SERVER_URL inside GitLab CI) and GITLAB_TOKEN."""
    url = env.get("GITLAB_URL") or env.get("CI_SERVER_URL")
    token = env.get("GITLAB_TOKEN")
    if not url:
        raise GitLabError("no GitLab URL: set GITLAB_URL (inside GitLab CI, CI_SERVER_URL is used)")
    try:
        url = normalise_gitlab_url(url)
    except ValueError as error:
        raise GitLabError(str(error)) from None
    if not token:
        raise GitLabError(
            "no token: set GITLAB_TOKEN to a personal, project or group access token with the "
            "`api` scope (CI_JOB_TOKEN cannot create issues, labels or milestones)"
        )
    return url, token


Origin = Callable[[str, str], str | None]
"""(kind, key) -> the `file:line` of the playbook item that makes the object."""


def show(plan: Plan, fmt: str, origin: Origin | None = None) -> str:
    """The plan in `fmt`; with `origin`, each object says where in the playbooks it is made."""
    if fmt == "json":
        data = plan.to_json()
        operations = data.get("operations")
        if origin is not None and isinstance(operations, list):
            for op in operations:
                op["origin"] = origin(str(op["kind"]), str(op["key"]))
        return json.dumps(data, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return plan.to_markdown()
    text = plan.to_text()
    if origin is None:
        return text
    places = {f"[{op.key}]": origin(op.kind, op.key) for op in plan.operations}
    lines = []
    for line in text.splitlines():
        tail = line.rsplit("  ", 1)[-1]
        place = places.get(tail)
        lines.append(f"{line}  ({place})" if place else line)
    return "\n".join(lines)


def _result_json(plan: Plan, result: ApplyResult) -> str:
    data = plan.to_json()
    data["result"] = {
        "applied": len(result.done),
        "failed": [{"key": f.op.key, "message": f.message} for f in result.failed],
        "not_started": [op.key for op in result.skipped],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _result_text(result: ApplyResult, fmt: str) -> str:
    lines = [f"Applied: {result.summary()}."]
    lines += [
        f"failed: {f.op.kind} {f.op.title!r} [{f.op.key}]: {f.message}" for f in result.failed
    ]
    if not result.ok:
        lines.append("Run apply again: it completes what is missing without duplicating anything.")
    return ("\n\n" if fmt == "markdown" else "\n").join(lines)


def project_variables(port: GitLabProject, given: Mapping[str, str]) -> dict[str, str]:
    """The variables the project supplies itself, exactly as the webhook service scaffolds a new
    project (its name as the customer, its creation day as the start date), then `given`."""
    return {**default_variables(facts_of(port.load())), **given}


def _planned(port: GitLabProject, render: Render, given: Mapping[str, str]) -> Plan:
    blueprint = render(project_variables(port, given))
    return diff(blueprint, port.read_live(blueprint))


def plan_command(
    render: Render,
    given: Mapping[str, str],
    project: str | None,
    *,
    fmt: str,
    detailed_exitcode: bool,
    echo: Echo,
    origin: Origin | None = None,
) -> int:
    """Diff against the project (or, without one, an empty project) and print the plan."""
    if project is None:
        plan = diff(render(given))
    else:
        url, token = credentials()
        plan = _planned(connect(url, token, project), render, given)
    echo(show(plan, fmt, origin))
    return PENDING if detailed_exitcode and plan.pending else NOTHING


def apply_command(
    render: Render,
    given: Mapping[str, str],
    project: str,
    *,
    fmt: str,
    dry_run: bool,
    confirm: Callable[[], bool] | None,
    concurrency: int,
    echo: Echo,
) -> int:
    """Plan, ask (unless `confirm` is None), apply; 0 when GitLab matches the playbook after."""
    url, token = credentials()
    port = connect(url, token, project, concurrency=concurrency)
    plan = _planned(port, render, given)
    if dry_run or not plan.pending:
        echo(show(plan, fmt))
        return NOTHING
    if fmt != "json":
        echo(show(plan, fmt))
    if confirm is not None and not confirm():
        echo("Nothing applied.")
        return ERROR
    port.check_writable()
    with progress_bar(sum(op.pending for op in plan.operations)) as progress:
        result = apply(plan, port, concurrency=concurrency, progress=progress)
    echo(_result_json(plan, result) if fmt == "json" else _result_text(result, fmt))
    return NOTHING if result.ok else ERROR


@contextmanager
def progress_bar(total: int) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise (CI logs)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    with Bar(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("applying", total=total)
        yield lambda op, outcome: bar.update(task, advance=1, description=f"{op.kind} {op.title}")
