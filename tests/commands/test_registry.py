"""Resolving a command line to a command and its arguments; roles; help; replies; the limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events.commands import help as command_help
from bot.events.commands.arguments import (
    Forced,
    HelpTopic,
    PhaseTarget,
    PlaybookChoice,
    Text,
)
from bot.events.commands.errors import BadArguments, UnknownCommand
from bot.events.commands.parser import command_lines
from bot.events.commands.ratelimit import RateLimit
from bot.events.commands.registry import COMMANDS, find, resolve, with_roles
from bot.events.commands.reply import Outcome, finished_award, no_quick_actions, reply_body
from bot.events.commands.roles import Role


def invoke(text: str):
    [line] = command_lines(text)
    return resolve(line)


def test_two_word_commands_resolve_in_any_case():
    found = invoke("/psdm SPRINT Close")
    assert found.command.name == "sprint close" and found.arguments == Forced()


def test_the_prefix_alone_asks_for_help():
    found = invoke("/psdm")
    assert found.command.name == "help" and found.arguments == HelpTopic(None)


def test_help_takes_a_command_name_of_one_or_two_words():
    assert invoke("/psdm help Wave  Add").arguments == HelpTopic("wave add")
    assert invoke("/psdm help /psdm plan").arguments == HelpTopic("plan")
    with pytest.raises(UnknownCommand, match="no command `deploy`"):
        invoke("/psdm help deploy")


def test_apply_reads_a_playbook_and_quoted_variables():
    found = invoke('/psdm apply tool-adoption customer="Acme Corp" sprints=4')
    assert found.arguments == PlaybookChoice(
        "tool-adoption", (("customer", "Acme Corp"), ("sprints", "4"))
    )
    assert invoke("/psdm apply").arguments == PlaybookChoice(None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/psdm apply a b", "one playbook at most"),
        ("/psdm apply =x", "no variable name"),
        ('/psdm apply customer="Acme', "cannot read the arguments"),
        ("/psdm plan tool-adoption sprints=3", "takes no variables"),
        ("/psdm status now", "takes no arguments"),
        ("/psdm risk", "needs the text of the risk"),
        ("/psdm wave add", "needs the new wave's name"),
        ("/psdm phase", "needs `next` or the name of a phase"),
    ],
)
def test_bad_arguments_say_what_is_wrong_and_name_the_command(text, reason):
    with pytest.raises(BadArguments, match=reason) as raised:
        invoke(text)
    assert raised.value.show_help and raised.value.command == invoke_name(text)


def invoke_name(text: str) -> str:
    words = text.split()[1:]
    return next(c.name for c in COMMANDS if c.name.split() == words[: len(c.name.split())])


def test_risk_and_wave_keep_their_text_as_typed():
    assert invoke("/psdm risk  Vendor's API: rate limits ").arguments == Text(
        "Vendor's API: rate limits"
    )
    assert invoke("/psdm wave add EMEA north").arguments == Text("EMEA north")
    assert invoke("/psdm phase Team Readiness").arguments == PhaseTarget("Team Readiness")
    assert invoke("/psdm pilot add Mobile app").arguments == Text("Mobile app")


def test_force_is_read_wherever_it_is_written():
    assert invoke("/psdm phase next --force").arguments == PhaseTarget("next", force=True)
    assert invoke("/psdm phase --FORCE sprint 0").arguments == PhaseTarget("sprint 0", True)
    assert invoke("/psdm sprint close --force").arguments == Forced(True)
    assert invoke("/psdm sprint close").arguments == Forced(False)
    with pytest.raises(BadArguments, match="takes only `--force`"):
        invoke("/psdm sprint close now")


def test_an_unknown_command_points_at_the_family_it_resembles():
    with pytest.raises(UnknownCommand) as raised:
        invoke("/psdm sprint open")
    assert raised.value.command == "sprint close" and "`sprint open`" in raised.value.reason
    with pytest.raises(UnknownCommand) as raised:
        invoke("/psdm deploy now")
    assert raised.value.command is None and "`deploy`" in raised.value.reason


def test_default_roles_follow_the_issue_and_configuration_overrides_them():
    roles = {c.name: c.role for c in COMMANDS}
    assert roles["help"] == roles["status"] == Role.REPORTER
    # a gate's approvers decide who passes it (a customer sponsor may be a Reporter)
    assert roles["gate pass"] == Role.REPORTER
    assert roles["plan"] == Role.DEVELOPER
    assert roles["role"] == Role.REPORTER  # who holds which role: anyone who reads
    readers = ("help", "status", "plan", "role", "gate pass")
    assert {roles[n] for n in roles if n not in readers} == {Role.MAINTAINER}
    changed = {c.name: c.role for c in with_roles({"Plan": "reporter", "risk": "Developer"})}
    assert changed["plan"] == Role.REPORTER and changed["risk"] == Role.DEVELOPER
    with pytest.raises(UnknownCommand):
        with_roles({"deploy": "owner"})
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        with_roles({"plan": "boss"})


def test_roles_read_from_access_levels():
    assert Role.of_level(40) == Role.MAINTAINER and Role.of_level(45) == Role.MAINTAINER
    assert Role.of_level(0) is None and Role.of_level(15) == Role.PLANNER


def test_help_lists_every_command_with_its_role_and_explains_one():
    table = command_help.overview()
    for command in COMMANDS:
        assert f"| `{command.synopsis}` | {command.role.title} |" in table
    one = command_help.topic("sprint close")
    assert one.startswith("`/psdm sprint close [--force]`") and "Maintainer" in one
    assert command_help.topic(None) == table
    assert find("Wave add").name == "wave add"


@given(st.text())
def test_no_line_of_a_reply_ever_starts_with_a_slash(text):
    safe = no_quick_actions(text)
    assert not any(line.lstrip().startswith("/") for line in safe.splitlines())


def test_the_reply_lists_each_line_and_the_final_award_needs_every_line_done():
    done = Outcome("/psdm status", True, "/all fine")
    failed = Outcome("/psdm risk", False, "Needs text")
    body = reply_body("alice", [done, failed])
    assert body.startswith("@alice") and body.index("status") < body.index("risk")
    assert "\n\\/all fine" in body
    assert finished_award([done]) == "white_check_mark"
    assert finished_award([done, failed]) == finished_award([]) == "x"


def test_the_rate_limit_frees_a_slot_a_period_after_it_was_taken():
    limit = RateLimit(2, period=60)
    assert limit.wait("alice", 0) == 0 and limit.wait("alice", 10) == 0
    assert limit.wait("alice", 30) == 30
    assert limit.wait("bob", 30) == 0
    assert limit.wait("alice", 60) == 0


@given(st.lists(st.floats(min_value=0, max_value=600), max_size=60), st.integers(1, 5))
def test_the_rate_limit_never_admits_more_than_its_limit_in_any_period(moments, limit):
    gate = RateLimit(limit, period=60)
    admitted = [t for t in sorted(moments) if gate.wait("u", t) == 0]
    for start in admitted:
        assert sum(1 for t in admitted if start <= t < start + 60) <= limit


@pytest.mark.parametrize(
    ("line", "force", "reason"),
    [
        ("/psdm gate pass", False, ""),
        (
            '/psdm gate pass --force "sponsor away; accepted by mail"',
            True,
            "sponsor away; accepted by mail",
        ),
        ("/psdm gate pass --force accepted by mail", True, "accepted by mail"),
    ],
)
def test_gate_pass_reads_force_and_its_reason(line, force, reason):
    from bot.events.commands.arguments import GatePass

    assert invoke(line).arguments == GatePass(force, reason)


@pytest.mark.parametrize("line", ["/psdm gate pass --force", "/psdm gate pass now"])
def test_gate_pass_refuses_force_without_a_reason_and_other_words(line):
    with pytest.raises(BadArguments):
        invoke(line)
