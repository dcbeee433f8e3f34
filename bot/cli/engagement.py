"""`plan`, `apply` and `report`: one engagement against GitLab (GITLAB_URL, GITLAB_TOKEN)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import typer

from bot.cli.common import fail, gitlab_errors
from bot.cli.output import credentials

FORMATS = ("text", "json", "markdown")
VAR_HELP = (
    "KEY=VALUE for a playbook variable; with --project, customer and start_date "
    "default to the project's name and creation day."
)


def variables(var: list[str] | None) -> dict[str, str]:
    """--var KEY=VALUE pairs; a malformed one ends the command with exit 1."""
    pairs = [item.partition("=") for item in var or []]
    bad = [item for item, (_, sep, _) in zip(var or [], pairs, strict=True) if not sep]
    if bad:
        raise fail(f"--var expects KEY=VALUE, got {', '.join(bad)}")
    return {key: value for key, _, value in pairs}


def origin_of(playbook: str) -> Callable[[str, str], str | None] | None:
    """Where each object of the playbook is written (None when it cannot be loaded)."""
    from bot.playbook import PlaybookError, load_playbook
    from bot.playbook.origins import origins

    try:
        return origins(load_playbook(playbook))
    except PlaybookError:
        return None


def renderer(playbook: str) -> Callable[[Mapping[str, str]], Any]:
    """Load a playbook now, render it later (once the project's own variables are known);
    problems end the command with exit 1, one per line."""
    from bot.playbook import PlaybookError, load_playbook, render

    def stop(error: PlaybookError) -> typer.Exit:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        return typer.Exit(1)

    try:
        loaded = load_playbook(playbook)
    except PlaybookError as error:
        raise stop(error) from None

    def rendered(values: Mapping[str, str]) -> Any:
        try:
            return render(loaded, values)
        except PlaybookError as error:
            raise stop(error) from None

    return rendered


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    return fmt


def plan(
    playbook: str = typer.Argument(..., help="A shipped playbook's name or a playbook file."),
    project: str | None = typer.Option(
        None, "--project", help="GROUP/PROJECT to diff against; without it, an empty project."
    ),
    var: list[str] = typer.Option(None, "--var", help=VAR_HELP),
    fmt: str = typer.Option("text", "--format", help="text, json or markdown."),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when changes are pending (0 none, 1 error)."
    ),
) -> None:
    """Show what apply would create, update or adopt (GITLAB_URL and GITLAB_TOKEN for --project)."""
    from bot.cli.output import plan_command

    fmt = _format(fmt)
    render, given = renderer(playbook), variables(var)
    code = gitlab_errors(
        lambda: plan_command(
            render,
            given,
            project,
            fmt=fmt,
            detailed_exitcode=detailed_exitcode,
            echo=typer.echo,
            origin=origin_of(playbook),
        ),
        credentials if project else None,
    )
    raise typer.Exit(code)


def apply(
    playbook: str = typer.Argument(..., help="A shipped playbook's name or a playbook file."),
    project: str = typer.Option(..., "--project", help="GROUP/PROJECT to build the engagement in."),
    var: list[str] = typer.Option(None, "--var", help=VAR_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; change nothing."),
    yes: bool = typer.Option(False, "--yes", help="Apply without asking."),
    fmt: str = typer.Option("text", "--format", help="text, json or markdown."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=32, help="Requests in flight."),
) -> None:
    """Create what is missing in GitLab, adopt same-named objects, update what the bot owns."""
    from bot.cli.output import apply_command

    fmt = _format(fmt)
    if not (yes or dry_run or sys.stdin.isatty()):
        raise fail("not a terminal, so nobody can confirm: pass --yes to apply")
    render, given = renderer(playbook), variables(var)
    confirm = None if yes else (lambda: typer.confirm("Apply this plan?"))
    code = gitlab_errors(
        lambda: apply_command(
            render,
            given,
            project,
            fmt=fmt,
            dry_run=dry_run,
            confirm=confirm,
            concurrency=concurrency,
            echo=typer.echo,
        ),
        credentials,
    )
    raise typer.Exit(code)


def report(
    project: str = typer.Option(..., "--project", help="GROUP/PROJECT of the engagement."),
    post: bool = typer.Option(
        False, "--post", help="Also keep it as a comment on the status issue."
    ),
    fmt: str = typer.Option("markdown", "--format", help="markdown or json."),
    playbook: str | None = typer.Option(
        None, "--playbook", help="The engagement's playbook (default: its psdm::<name> topic)."
    ),
    var: list[str] = typer.Option(
        None, "--var", help="KEY=VALUE the engagement was scaffolded with."
    ),
) -> None:
    """Print the weekly status of an engagement (GITLAB_URL and GITLAB_TOKEN)."""
    from bot.gitlab.snapshot import post_report, read_weekly
    from bot.report.weekly import internal_markdown, weekly_json, weekly_markdown

    if fmt not in ("markdown", "json"):
        raise typer.BadParameter("--format must be markdown or json")
    if any("=" not in item for item in var or []):
        raise typer.BadParameter("--var expects KEY=VALUE")
    pairs = dict(item.partition("=")[::2] for item in var or [])

    def run() -> int:
        url, token = credentials()
        snapshot, metrics, parts = read_weekly(
            (url, token), project, playbook=playbook, variables=pairs, make_status=post
        )
        data = weekly_json(snapshot, metrics)
        summary, raid = parts.summary, parts.raid
        shown = weekly_markdown(  # the terminal is the PS team's: the internal version
            snapshot, metrics, summary=summary, raid=raid, internal=True
        )
        typer.echo(json.dumps(data, indent=2) if fmt == "json" else shown)
        if post:
            markdown = weekly_markdown(snapshot, metrics, summary=summary, raid=raid)
            inside = internal_markdown(snapshot, metrics, raid)
            posted = post_report(url, token, snapshot, markdown, inside)
            if posted is None:
                typer.echo("error: the engagement has no weekly status issue to post on", err=True)
                return 1
            typer.echo(f"posted on #{posted[0]}: {posted[1]}", err=True)
        return 0

    raise typer.Exit(gitlab_errors(run, credentials))


def register(app: typer.Typer) -> None:
    app.command()(plan)
    app.command()(apply)
    app.command()(report)
