"""`sandbox` and `demo`: the GitLab stand-in, offered only where it is installed (a checkout,
or the wheel with the `sandbox` extra; never the service image)."""

from __future__ import annotations

import typer


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
    hook_host: list[str] = typer.Option(
        None,
        "--hook-host",
        help="Also deliver webhooks to this host (repeatable; * for any). Default: loopback only.",
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
            hook_hosts=hook_host or (),
        )
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"GitLab sandbox ({tier}, GitLab {version}) on http://{host}:{port}  root token: {token}",
        err=True,
    )
    uvicorn.run(app_, host=host, port=port, log_level="warning")


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


def register(app: typer.Typer) -> None:
    app.command()(sandbox)
    app.command()(demo)
