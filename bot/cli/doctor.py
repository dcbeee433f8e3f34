"""`psdm-bot doctor`: is everything in place to go live? One line per check, in order, with
the fix for each failure; exit 0 only when every check passes."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import typer

from bot.config import (
    Settings,
    SettingsProblem,
    normalise_gitlab_url,
    require_gitlab,
    settings_or_problem,
    trust_ca_bundle,
)
from bot.gitlab.preflight import Finding, Probe, address, instance, reach, role, skipped, status
from bot.gitlab.preflight import token as token_check

MARK = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}


def _settings() -> tuple[Settings | None, list[Finding]]:
    try:
        settings = settings_or_problem()
    except SettingsProblem as problem:
        return None, [
            Finding("settings", False, line, "fix the setting named") for line in problem.lines
        ]
    lines = require_gitlab(settings)
    from bot.cli.service import unknown_playbooks

    lines += unknown_playbooks(settings)
    if lines:
        return settings, [Finding("settings", False, line) for line in lines]
    return settings, [Finding("settings", True, "every setting is known and valid")]


def _credentials(settings: Settings | None) -> tuple[str, str]:
    if settings is not None:
        return settings.gitlab_url, settings.gitlab_token
    url = os.environ.get("GITLAB_URL", "")
    with contextlib.suppress(ValueError):
        url = normalise_gitlab_url(url) if url else url
    return url, os.environ.get("GITLAB_TOKEN", "")


def gitlab_findings(
    url: str,
    token: str,
    groups: list[str],
    projects: list[str],
    hook_url: str | None,
    send_test: bool,
) -> list[Finding]:
    """URL, TLS, API, token, role, instance and hooks, each only when the ones before held."""
    found = [address(url)]
    if not found[0].ok:
        return [
            *found,
            *(
                skipped(c, "no usable GitLab URL")
                for c in ("api", "token", "role", "instance", "hooks")
            ),
        ]
    probe = Probe(url, token)
    reached = reach(probe)
    found += reached
    if any(f.ok is False for f in reached):
        return [
            *found,
            *(skipped(c, "GitLab not reached") for c in ("token", "role", "instance", "hooks")),
        ]
    verdict, user = token_check(probe)
    found.append(verdict)
    if user is None:
        return [*found, *(skipped(c, "no usable token") for c in ("role", "instance", "hooks"))]
    found += role(probe, user, groups, projects)
    verdict, capabilities = instance(url, token, groups[0] if groups else None)
    found.append(verdict)
    if capabilities is None:
        return [*found, skipped("hooks", "the instance could not be read")]
    from bot.cli.hooks import hook_findings

    found += hook_findings(url, token, capabilities, groups, projects, hook_url, send_test)
    return found


def database_finding(settings: Settings | None) -> Finding:
    if settings is None:
        return skipped("database", "the settings are not valid")
    import sqlalchemy as sa

    url = settings.database_url
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database or ""
        folder = Path(path).resolve().parent if path else Path.cwd()
        if not folder.exists():
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            return Finding(
                "database",
                False,
                f"cannot write {folder} for {url}",
                "give the service a writable folder",
            )
        return Finding("database", True, f"SQLite at {path} (one instance only)")
    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as error:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        return Finding(
            "database",
            False,
            f"cannot connect to {shown}: {str(error).splitlines()[0]}",
            "check PSDM_DATABASE_URL, the server and its credentials",
        )
    return Finding("database", True, "PostgreSQL answers")


def dashboard_finding(settings: Settings | None) -> Finding:
    if settings is None:
        return skipped("dashboard", "the settings are not valid")
    missing = [
        name
        for name, value in (
            ("PSDM_PUBLIC_URL", settings.public_url),
            ("PSDM_OAUTH_APPLICATION_ID", settings.oauth_application_id),
            ("PSDM_OAUTH_APPLICATION_SECRET", settings.oauth_application_secret),
        )
        if not value
    ]
    if missing:
        return Finding(
            "dashboard",
            False,
            f"the dashboard answers 503 without {', '.join(missing)}",
            "create a GitLab OAuth application (scope read_api, redirect URI "
            "<PSDM_PUBLIC_URL>/auth/callback) and set the three settings",
        )
    public = str(settings.public_url).rstrip("/")
    if not public.startswith("https://"):
        return Finding(
            "dashboard",
            False,
            f"PSDM_PUBLIC_URL {public} is not https",
            "serve the dashboard over TLS",
        )
    return Finding("dashboard", True, f"sign-in through {public}/auth/callback")


def doctor(
    group: list[str] = typer.Option(None, "--group", help="A group the bot manages (repeat)."),
    project: list[str] = typer.Option(
        None, "--project", help="A project the bot manages (repeat)."
    ),
    hook_url: str | None = typer.Option(
        None, "--hook-url", help="The bot's webhook URL (default: PSDM_PUBLIC_URL/webhook)."
    ),
    send_test: bool = typer.Option(
        False, "--send-test", help="Have GitLab send each hook a test delivery (a push event)."
    ),
    skip: list[str] = typer.Option(None, "--skip", help="A check to leave out (repeat)."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Check URL, TLS, token, role, instance, hooks, database and dashboard before going live."""
    if fmt not in ("text", "json"):
        raise typer.BadParameter("--format must be text or json")
    settings, found = _settings()
    if settings is not None:
        trust_ca_bundle(settings.ca_bundle)
    url, token = _credentials(settings)
    groups = list(group or []) or sorted(
        {r.namespace for r in (settings.rules if settings else []) if r.namespace}
    )
    public = settings.public_url if settings else None
    hook = hook_url or (f"{public.rstrip('/')}/webhook" if public else None)
    found += gitlab_findings(url, token, groups, list(project or []), hook, send_test)
    found += [database_finding(settings), dashboard_finding(settings)]
    found = [f for f in found if f.check not in set(skip or [])]
    ok = all(f.ok for f in found)
    if fmt == "json":
        typer.echo(json.dumps({"ok": ok, "checks": [f.to_json() for f in found]}, indent=2))
    else:
        for finding in found:
            fix = f" -> {finding.fix}" if finding.fix and finding.ok is False else ""
            typer.echo(f"{MARK[status(finding)]} {finding.check}: {finding.detail}{fix}")
    raise typer.Exit(0 if ok else 1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
