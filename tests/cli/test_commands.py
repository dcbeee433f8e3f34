"""The command line's surface: --version, -h on every command, shell completion, and only the
commands an installation can run (the service image has no stand-in)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot import version
from bot.cli import app

COMMANDS = ("validate", "schema", "plan", "apply", "report", "serve", "doctor", "hooks")


def test_version_is_the_installed_packages() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"psdm-bot {version()}\n"
    assert version() != "0+unknown"


@pytest.mark.parametrize("command", [*COMMANDS, "hooks install", "hooks check", "sandbox", "demo"])
def test_dash_h_is_help_everywhere(command: str) -> None:
    result = CliRunner().invoke(app, [*command.split(), "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


def test_shell_completion_can_be_shown() -> None:
    result = CliRunner().invoke(app, ["--show-completion"], env={"SHELL": "/bin/bash"})
    assert result.exit_code == 0
    assert "complete" in result.stdout and "psdm" in result.stdout.lower()


def test_without_the_stand_in_sandbox_and_demo_are_not_offered() -> None:
    hide = "import sys; sys.modules['gitlab_sandbox'] = None; "
    run = "from bot.cli import app; app(['-h'], prog_name='psdm-bot')"
    done = subprocess.run(
        [sys.executable, "-c", hide + run], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    listed = done.stdout
    assert all(f" {command} " in listed for command in COMMANDS), listed
    assert " sandbox " not in listed and " demo " not in listed
