"""`validate` and `schema`: playbooks checked and described without GitLab."""

from __future__ import annotations

from pathlib import Path

import typer


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


def schema() -> None:
    """Print the JSON Schema of playbook files."""
    from bot.playbook.cli_support import schema_text

    typer.echo(schema_text(), nl=False)


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
