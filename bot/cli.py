"""The `psdm-bot` command line: one thin typer command per way in; the work lives in the rooms."""

from __future__ import annotations

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
