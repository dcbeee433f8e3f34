"""The `psdm-bot` command line: one thin typer command per way in; the work lives in the rooms."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    name="psdm-bot",
    help="Turn PSDM playbooks into GitLab structure and keep it in step.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """psdm-bot: playbooks, plan/apply, webhook service, GitLab sandbox."""


@app.command()
def validate(
    paths: list[Path] = typer.Argument(
        None, help="Playbook files or directories (default: the shipped playbooks)."
    ),
) -> None:
    """Check playbooks; print every problem as file:line:col. Exit 0 valid, 1 invalid."""
    from bot.playbook.cli_support import playbook_files, validate_report

    missing = [str(p) for p in paths or [] if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or directory: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    problems, summary = validate_report(playbook_files(paths or []))
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(summary, err=True)
    raise typer.Exit(1 if problems else 0)


@app.command()
def schema() -> None:
    """Print the JSON Schema of playbook files."""
    from bot.playbook.cli_support import schema_text

    typer.echo(schema_text(), nl=False)


FORMATS = ("text", "json", "markdown")


def _variables(var: list[str] | None) -> dict[str, str]:
    """--var KEY=VALUE pairs; a malformed one ends the command with exit 1."""
    pairs = [item.partition("=") for item in var or []]
    bad = [item for item, (_, sep, _) in zip(var or [], pairs, strict=True) if not sep]
    if bad:
        typer.echo(f"error: --var expects KEY=VALUE, got {', '.join(bad)}", err=True)
        raise typer.Exit(1)
    return {key: value for key, _, value in pairs}


def _renderer(playbook: str):
    """Load a playbook now, render it later (once the project's own variables are known);
    problems end the command with exit 1, one per line."""
    from bot.playbook import PlaybookError, load_playbook, render

    def fail(error: PlaybookError) -> typer.Exit:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        return typer.Exit(1)

    try:
        loaded = load_playbook(playbook)
    except PlaybookError as error:
        raise fail(error) from None

    def rendered(variables):
        try:
            return render(loaded, variables)
        except PlaybookError as error:
            raise fail(error) from None

    return rendered


def _gitlab_errors(run):
    """Run a plan/apply body; a GitLab problem becomes one actionable line and exit 1."""
    from bot.gitlab.errors import GitLabError

    try:
        return run()
    except GitLabError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None


@app.command()
def plan(
    playbook: str = typer.Argument(..., help="A shipped playbook's name or a playbook file."),
    project: str | None = typer.Option(
        None, "--project", help="GROUP/PROJECT to diff against; without it, an empty project."
    ),
    var: list[str] = typer.Option(
        None,
        "--var",
        help="KEY=VALUE for a playbook variable; with --project, customer and start_date "
        "default to the project's name and creation day.",
    ),
    fmt: str = typer.Option("text", "--format", help="text, json or markdown."),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when changes are pending (0 none, 1 error)."
    ),
) -> None:
    """Show what apply would create, update or adopt (GITLAB_URL and GITLAB_TOKEN for --project)."""
    from bot.cli_output import plan_command

    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    render, given = _renderer(playbook), _variables(var)
    code = _gitlab_errors(
        lambda: plan_command(
            render, given, project, fmt=fmt, detailed_exitcode=detailed_exitcode, echo=typer.echo
        )
    )
    raise typer.Exit(code)


@app.command()
def apply(
    playbook: str = typer.Argument(..., help="A shipped playbook's name or a playbook file."),
    project: str = typer.Option(..., "--project", help="GROUP/PROJECT to build the engagement in."),
    var: list[str] = typer.Option(
        None,
        "--var",
        help="KEY=VALUE for a playbook variable; with --project, customer and start_date "
        "default to the project's name and creation day.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; change nothing."),
    yes: bool = typer.Option(False, "--yes", help="Apply without asking."),
    fmt: str = typer.Option("text", "--format", help="text, json or markdown."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=32, help="Requests in flight."),
) -> None:
    """Create what is missing in GitLab, adopt same-named objects, update what the bot owns."""
    import sys

    from bot.cli_output import apply_command

    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    if not (yes or dry_run or sys.stdin.isatty()):
        typer.echo("error: not a terminal, so nobody can confirm: pass --yes to apply", err=True)
        raise typer.Exit(1)
    render, given = _renderer(playbook), _variables(var)
    confirm = None if yes else (lambda: typer.confirm("Apply this plan?"))
    code = _gitlab_errors(
        lambda: apply_command(
            render,
            given,
            project,
            fmt=fmt,
            dry_run=dry_run,
            confirm=confirm,
            concurrency=concurrency,
            echo=typer.echo,
        )
    )
    raise typer.Exit(code)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="TCP port to listen on."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Run the webhook service (settings from the environment and PSDM_CONFIG)."""
    from bot.service.serve import ConfigProblem
    from bot.service.serve import serve as run

    try:
        run(host, port, log_level)
    except ConfigProblem as problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2) from None


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="TCP port to listen on."),
    tier: str = typer.Option(
        "premium", help="free (CE), premium (EE: epics, no child epics) or ultimate."
    ),
    token: str = typer.Option(
        "sandbox-root-token", help="Personal access token of the administrator `root`."
    ),
    gitlab_version: str = typer.Option(
        "latest", "--gitlab-version", help="17.6, 18.0, 18.2 or latest (any 16.0-18.6 release)."
    ),
    rate_limits: str | None = typer.Option(
        None, "--rate-limits", help="gitlab.com: enforce GitLab.com's per-user rate limits."
    ),
    feature_flag: list[str] = typer.Option(
        None, "--feature-flag", help="Turn on a GitLab feature flag (webhook_signing_token)."
    ),
) -> None:
    """Serve the in-memory GitLab sandbox (REST v4, GraphQL, webhooks); state dies with it."""
    import uvicorn

    from gitlab_sandbox import create_app
    from gitlab_sandbox.tiers import TIERS
    from gitlab_sandbox.versions import UnknownVersion, parse, show

    if tier not in TIERS:
        typer.echo(f"error: --tier must be one of {', '.join(TIERS)}, not {tier!r}", err=True)
        raise typer.Exit(2)
    try:
        version = show(parse(gitlab_version))
    except UnknownVersion as error:
        typer.echo(f"error: --gitlab-version: {error}", err=True)
        raise typer.Exit(2) from None
    if rate_limits not in (None, "gitlab.com"):
        typer.echo(f"error: --rate-limits must be gitlab.com, not {rate_limits!r}", err=True)
        raise typer.Exit(2)
    try:
        app_ = create_app(
            tier=tier,
            admin_token=token,
            gitlab_version=gitlab_version,
            rate_limits=rate_limits,
            feature_flags=feature_flag or (),
        )
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"GitLab sandbox ({tier}, GitLab {version}) on http://{host}:{port}  root token: {token}",
        err=True,
    )
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command()
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
    import json

    from bot.cli_output import credentials
    from bot.gitlab.snapshot import post_report, read_report
    from bot.report.weekly import weekly_json, weekly_markdown

    if fmt not in ("markdown", "json"):
        raise typer.BadParameter("--format must be markdown or json")
    if any("=" not in item for item in var or []):
        raise typer.BadParameter("--var expects KEY=VALUE")
    pairs = dict(item.partition("=")[::2] for item in var or [])

    def run() -> int:
        url, token = credentials()
        snapshot, metrics = read_report(
            (url, token), project, playbook=playbook, variables=pairs, make_status=post
        )
        markdown = weekly_markdown(snapshot, metrics)
        data = weekly_json(snapshot, metrics)
        typer.echo(json.dumps(data, indent=2) if fmt == "json" else markdown)
        if post:
            posted = post_report(url, token, snapshot, markdown)
            if posted is None:
                typer.echo("error: the engagement has no weekly status issue to post on", err=True)
                return 1
            typer.echo(f"posted on #{posted[0]}: {posted[1]}", err=True)
        return 0

    raise typer.Exit(_gitlab_errors(run))


@app.command()
def demo(
    exit_: bool = typer.Option(
        False, "--exit", help="End after the summary instead of staying up."
    ),
) -> None:
    """Run the sandbox and the bot locally and walk one engagement through a sprint."""
    from bot.demo import DemoFailed, run

    try:
        run(typer.echo, stay=not exit_)
    except DemoFailed as failure:
        typer.echo(f"error: {failure}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
