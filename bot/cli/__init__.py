"""The `psdm-bot` command line: one module per family of commands; the work lives in the rooms.

`playbooks` (validate, schema), `engagement` (plan, apply, report), `service` (serve),
`doctor`, `hooks` (install, check), and `standin` (sandbox, demo), which is only offered where
the GitLab stand-in is installed (never in the service image).
"""

from __future__ import annotations

import importlib.util

import typer

from bot import version
from bot.cli import doctor, engagement, hooks, playbooks, service

app = typer.Typer(
    name="psdm-bot",
    help="Turn PSDM playbooks into GitLab structure and keep it in step.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"psdm-bot {version()}")
        raise typer.Exit(0)


@app.callback()
def main(
    show_version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """psdm-bot: playbooks, plan/apply, webhook service, doctor and hooks."""
    _trust_configured_ca()


def _trust_configured_ca() -> None:
    """PSDM_CA_BUNDLE reaches every command's clients (serve and doctor also read it from the
    config file); a path that is no file is left for the settings check to name."""
    import os
    from pathlib import Path

    from bot.config import trust_ca_bundle

    path = os.environ.get("PSDM_CA_BUNDLE", "")
    if path and Path(path).is_file():
        trust_ca_bundle(path)


playbooks.register(app)
engagement.register(app)
service.register(app)
doctor.register(app)
app.add_typer(hooks.app, name="hooks")

if importlib.util.find_spec("gitlab_sandbox") is not None:
    from bot.cli import standin

    standin.register(app)
