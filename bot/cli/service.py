"""`serve`: the webhook service, started only with settings it can work with."""

from __future__ import annotations

import difflib

import typer

from bot.config import Settings, SettingsProblem, require_gitlab, settings_or_problem


def unknown_playbooks(settings: Settings) -> list[str]:
    """Rules naming a playbook that neither ships nor is configured, with the closest name."""
    from bot.playbook.playbook import playbook_catalog

    try:
        names = playbook_catalog(settings.playbooks).names
    except ValueError as error:
        return [f"playbooks: {error}"]
    missing = [f for f in settings.playbooks.values() if not _is_file(f)]
    lines = [f"playbooks: {path} is not a file" for path in missing]
    for number, rule in enumerate(settings.rules, start=1):
        if rule.playbook == "from-topic" or rule.playbook in names:
            continue
        close = difflib.get_close_matches(rule.playbook, names, n=1)
        hint = f": did you mean {close[0]!r}?" if close else f" (known: {', '.join(names)})"
        lines.append(f"rules[{number}]: unknown playbook {rule.playbook!r}{hint}")
    return lines


def _is_file(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_file()


def startup_problems(settings: Settings) -> list[str]:
    """Everything that would make the service accept webhooks it can never act on."""
    return require_gitlab(settings) + unknown_playbooks(settings)


def checked_settings() -> Settings:
    """The settings `serve` runs with; every problem is one line on stderr and exit 2."""
    try:
        settings = settings_or_problem()
    except SettingsProblem as problem:
        raise _refuse(problem.lines) from None
    lines = startup_problems(settings)
    if lines:
        raise _refuse(lines)
    return settings


def _refuse(lines: list[str]) -> typer.Exit:
    for line in lines:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(2)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="TCP port to listen on."),
    log_level: str = typer.Option("info", help="Log level: debug, info, warning or error."),
) -> None:
    """Run the webhook service (settings from the environment and PSDM_CONFIG)."""
    from bot.config import trust_ca_bundle
    from bot.service.serve import serve as run

    settings = checked_settings()
    trust_ca_bundle(settings.ca_bundle)
    run(settings, host, port, log_level)


def register(app: typer.Typer) -> None:
    app.command()(serve)
