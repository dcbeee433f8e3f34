"""`psdm-bot hooks install` and `hooks check`: the bot's webhooks, created or checked by the
bot itself (group hooks on Premium and Ultimate, project hooks on Free)."""

from __future__ import annotations

from collections.abc import Callable

import typer

from bot.cli.common import fail, gitlab_errors
from bot.cli.output import credentials
from bot.gitlab.capabilities import Capabilities
from bot.gitlab.preflight import Finding

app = typer.Typer(
    help="Install or check the bot's GitLab webhooks.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _hook_url(given: str | None) -> str:
    import os

    if given:
        return given
    public = os.environ.get("PSDM_PUBLIC_URL", "")
    if not public:
        raise fail("no webhook URL: pass --url or set PSDM_PUBLIC_URL (the hook gets <it>/webhook)")
    return f"{public.rstrip('/')}/webhook"


def _secret() -> str:
    import os

    secret = os.environ.get("PSDM_WEBHOOK_SECRET", "").split(",")[0].strip()
    if not secret:
        raise fail("no secret: set PSDM_WEBHOOK_SECRET (the hooks get its first value)")
    return secret


def _connect(group: list[str] | None, project: list[str] | None):  # type: ignore[no-untyped-def]
    from bot.gitlab.capabilities import detect
    from bot.gitlab.connection import open_connection
    from bot.gitlab.hooks import group_id, targets_for

    if not group and not project:
        raise typer.BadParameter("give --group or --project (either may be repeated)")
    url, token = credentials()
    rest = open_connection(url, token).rest
    first = group_id(rest, group[0]) if group else None
    capabilities = detect(rest, first, None)
    return rest, capabilities, targets_for(rest, capabilities, group or [], project or [])


@app.command()
def install(
    group: list[str] = typer.Option(None, "--group", help="A group to hook (repeat)."),
    project: list[str] = typer.Option(None, "--project", help="A project to hook (repeat)."),
    url: str | None = typer.Option(
        None, "--url", help="Webhook URL (default: PSDM_PUBLIC_URL/webhook)."
    ),
    reset_secret: bool = typer.Option(
        False, "--reset-secret", help="Write the secret again (GitLab never shows it)."
    ),
) -> None:
    """Create or update the bot's hook: the right URL, secret and triggers for the tier."""
    from bot.gitlab.hooks import install as install_hook

    target_url, secret = _hook_url(url), _secret()

    def run() -> int:
        rest, capabilities, targets = _connect(group, project)
        typer.echo(capabilities.describe(), err=True)
        if group and not capabilities.epics:
            typer.echo(
                f"{capabilities.tier.capitalize()} has no group hooks: a hook on each of "
                f"{len(targets)} project(s); hook projects created later with --project",
                err=True,
            )
        if group and capabilities.epics and not capabilities.group_project_hooks:
            typer.echo(
                "GitLab before 17.6 sends no project-creation event to group hooks: an "
                "administrator adds a system hook for project_create (docs/service.md)",
                err=True,
            )
        for target in targets:
            typer.echo(
                install_hook(
                    rest, target, target_url, secret, capabilities, reset_secret=reset_secret
                ).line()
            )
        return 0

    raise typer.Exit(gitlab_errors(_refusals_told(run), credentials))


def _refusals_told(run: Callable[[], int]) -> Callable[[], int]:
    """GitLab refusing to show or change a hook becomes one line with the role it needs."""
    from bot.gitlab.errors import GitLabError
    from bot.gitlab.hooks import refusal

    def told() -> int:
        try:
            return run()
        except Exception as error:
            refused = refusal(error)
            if refused is None:
                raise
            raise GitLabError(refused) from None

    return told


@app.command()
def check(
    group: list[str] = typer.Option(None, "--group", help="A group whose hook to check (repeat)."),
    project: list[str] = typer.Option(None, "--project", help="A project to check (repeat)."),
    url: str | None = typer.Option(
        None, "--url", help="Webhook URL (default: PSDM_PUBLIC_URL/webhook)."
    ),
) -> None:
    """Report drift of the bot's hooks (missing, triggers, disabled, refused deliveries); exit 1
    when any."""
    from bot.gitlab.hooks import problems

    target_url = _hook_url(url)

    def run() -> int:
        rest, capabilities, targets = _connect(group, project)
        bad = 0
        for target in targets:
            _, found = problems(rest, target, target_url, capabilities)
            bad += bool(found)
            typer.echo(f"{target}: {'; '.join(found) if found else 'in line'}")
        if bad:
            typer.echo("fix: psdm-bot hooks install (with the same --group/--project)", err=True)
        return 1 if bad else 0

    raise typer.Exit(gitlab_errors(_refusals_told(run), credentials))


def hook_findings(
    url: str,
    token: str,
    capabilities: Capabilities,
    groups: list[str],
    projects: list[str],
    hook_url: str | None,
    send_test: bool,
) -> list[Finding]:
    """The doctor's hook check: one finding per hook target; GitLab's refusals are findings."""
    from bot.gitlab.hooks import refusal

    try:
        return _hook_findings(url, token, capabilities, groups, projects, hook_url, send_test)
    except Exception as error:
        refused = refusal(error)
        if refused is None:
            raise
        return [Finding("hooks", False, refused, "fix the role or the group named above")]


def _hook_findings(
    url: str,
    token: str,
    capabilities: Capabilities,
    groups: list[str],
    projects: list[str],
    hook_url: str | None,
    send_test: bool,
) -> list[Finding]:
    from bot.gitlab.connection import open_connection
    from bot.gitlab.hooks import find, problems, targets_for
    from bot.gitlab.hooks import send_test as test_delivery

    if not hook_url:
        return [
            Finding(
                "hooks", False, "no webhook URL known", "set PSDM_PUBLIC_URL or pass --hook-url"
            )
        ]
    if not groups and not projects:
        return [Finding("hooks", None, "not checked: no group or project given", "pass --group")]
    rest = open_connection(url, token).rest
    found = []
    fix = "run psdm-bot hooks install " + " ".join(
        [f"--group {g}" for g in groups] + [f"--project {p}" for p in projects]
    )
    for target in targets_for(rest, capabilities, groups, projects):
        refused = None
        existing = find(rest, target, hook_url)
        if existing is not None and send_test:
            # sent first, so the delivery log's newest entry is this test
            refused = test_delivery(rest, target, int(existing["id"]))
        _, wrong = problems(rest, target, hook_url, capabilities)
        if refused and not any("401" in w for w in wrong):
            wrong.append(refused)
        if wrong:
            secret_fix = " --reset-secret" if any("secret" in w for w in wrong) else ""
            found.append(Finding("hooks", False, f"{target}: {'; '.join(wrong)}", fix + secret_fix))
        else:
            found.append(Finding("hooks", True, f"{target}: hook to {hook_url} in line"))
    return found
