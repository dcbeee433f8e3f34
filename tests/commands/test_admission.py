"""Which command lines the service admits: roles (configurable) and the per-user rate limit."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.domain.model import LiveNote
from bot.events.commands.parser import command_lines
from bot.service.commands import CommandRunners
from bot.service.runners import Engagements
from bot.service.store import Store


@pytest.fixture
def runners(tmp_path):
    def build(**options) -> CommandRunners:
        settings = Settings(
            webhook_secrets=["s"], database_url=f"sqlite:///{tmp_path}/psdm.sqlite", **options
        )
        store = Store(settings.database_url)
        return CommandRunners(settings, store, Engagements(settings, store))

    return build


def comment(text: str, author_id: int = 7) -> tuple[LiveNote, list]:
    return LiveNote(1, author_id, "alice", text, False), command_lines(text)


def test_a_role_below_the_commands_minimum_is_refused_with_the_role_needed(runners):
    service = runners()
    action, [plan, apply] = comment("/psdm plan\n/psdm apply")
    assert service.admit(action, plan, 30) is None
    refusal = service.admit(action, apply, 30)
    assert refusal and not refusal.ok
    assert (
        "needs the Maintainer role or higher" in refusal.text
        and "you are Developer" in refusal.text
    )
    outsider = service.admit(action, plan, 0)
    assert outsider and "you are not a member" in outsider.text


def test_configured_roles_replace_the_defaults(runners):
    service = runners(command_roles={"plan": "reporter", "help": "developer"})
    action, [plan, help_line] = comment("/psdm plan\n/psdm help")
    assert service.admit(action, plan, 20) is None
    refusal = service.admit(action, help_line, 20)
    assert refusal and "needs the Developer role" in refusal.text


def test_a_user_over_the_rate_limit_waits_while_others_go_on(runners):
    service = runners(command_rate_limit=2)
    action, [line] = comment("/psdm status")
    other, _ = comment("/psdm status", author_id=8)
    assert service.admit(action, line, 40) is None
    assert service.admit(action, line, 40) is None
    limited = service.admit(action, line, 40)
    assert limited and "you ran 2 commands within a minute".capitalize() in limited.text
    assert service.admit(other, line, 40) is None


def test_an_unknown_command_is_answered_with_the_error_and_the_help(runners):
    action, [line] = comment("/psdm deploy")
    answer = runners().admit(action, line, 50)
    assert answer and answer.text.startswith("There is no command `deploy`")
    assert "| command | lowest role | what it does |" in answer.text
