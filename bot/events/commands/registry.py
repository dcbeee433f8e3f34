"""Every command: its words, arguments, minimum role and help; and resolving a line to one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from bot.events.commands import arguments as args
from bot.events.commands.errors import BadArguments, UnknownCommand
from bot.events.commands.parser import MAX_LINE_CHARS, PREFIX, CommandLine
from bot.events.commands.roles import Role


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    role: Role
    read: Callable[[str, str], args.Arguments]
    """Reads the text after the command's words; raises BadArguments."""

    @property
    def synopsis(self) -> str:
        return f"{PREFIX} {self.name}{' ' + self.usage if self.usage else ''}"


@dataclass(frozen=True)
class Invocation:
    command: Command
    arguments: args.Arguments
    line: CommandLine


def _help_topic(rest: str, name: str) -> args.HelpTopic:
    topic = " ".join(rest.lower().split())
    if not topic:
        return args.HelpTopic(None)
    try:
        return args.HelpTopic(find(topic.removeprefix(PREFIX).strip()).name)
    except UnknownCommand as unknown:
        raise UnknownCommand(unknown.reason) from None


COMMANDS: tuple[Command, ...] = (
    Command("help", "[COMMAND]", "List the commands, or explain one.", Role.REPORTER, _help_topic),
    Command(
        "status",
        "",
        "Current phase and time-box, progress per phase and sprint, open RAID items.",
        Role.REPORTER,
        args.nothing,
    ),
    Command(
        "plan",
        "[PLAYBOOK]",
        "Show what `apply` would create, update or adopt; changes nothing.",
        Role.DEVELOPER,
        lambda rest, name: args.playbook_choice(rest, name, variables=False),
    ),
    Command(
        "apply",
        "[PLAYBOOK] [KEY=VALUE ...]",
        "Scaffold the engagement, or complete it; variables are remembered for next time.",
        Role.MAINTAINER,
        lambda rest, name: args.playbook_choice(rest, name, variables=True),
    ),
    Command(
        "phase",
        "next|PHASE [--force]",
        "Move the engagement to the next phase, or to the phase named; forward only past "
        "closed gates, unless `--force` (recorded on the engagement epic).",
        Role.MAINTAINER,
        args.phase_target,
    ),
    Command(
        "sprint close",
        "[--force]",
        "Close the current sprint, move its unfinished work to the next sprint, "
        "complete the retrospective; a sprint not started or out of turn needs `--force`.",
        Role.MAINTAINER,
        args.forced,
    ),
    Command(
        "gate pass",
        '[--force "REASON"]',
        "On a gate issue: pass the gate (its approvers only). `--force` passes it with "
        "criteria unticked or earlier gates open; the reason is recorded on the engagement epic.",
        Role.REPORTER,
        args.gate_pass,
    ),
    Command(
        "retro",
        "",
        "Open or refresh the current sprint's retrospective.",
        Role.MAINTAINER,
        args.nothing,
    ),
    Command(
        "wave add",
        "NAME",
        "Scale out: add one more wave (milestone and issues) named NAME.",
        Role.MAINTAINER,
        lambda rest, name: args.required_text(rest, name, "the new wave's name"),
    ),
    Command(
        "pilot add",
        "NAME",
        "Add one more MVP pilot named NAME (its phases, time-boxes, epics and issues).",
        Role.MAINTAINER,
        lambda rest, name: args.required_text(rest, name, "the new pilot's name"),
    ),
    Command(
        "risk",
        "TEXT",
        "Add a risk to the RAID log, labelled as the handbook says.",
        Role.MAINTAINER,
        lambda rest, name: args.written_text(rest, name, "the text of the risk"),
    ),
    Command(
        "role",
        "",
        "Who holds each PSDM role (engagement manager, project manager, technical architects, "
        "PS engineers, customer sponsor).",
        Role.REPORTER,
        args.nothing,
    ),
    Command(
        "role set",
        "ROLE @USER [@USER ...]",
        "Give a PSDM role (em, pm, ta, pse, sponsor) to these people and reassign the role's "
        "open issues to them.",
        Role.MAINTAINER,
        args.role_people,
    ),
    Command(
        "report",
        "",
        "Post or refresh the engagement's status report issue.",
        Role.MAINTAINER,
        args.nothing,
    ),
)


def _folded(word: str) -> str:
    """A command word in lower case; only ASCII letters fold (the Kelvin sign is not a K)."""
    return word.lower() if word.isascii() else word


def find(name: str) -> Command:
    """The command spelled exactly `name` (any ASCII case, words separated by spaces)."""
    wanted = " ".join(_folded(word) for word in name.split())
    for command in COMMANDS:
        if command.name == wanted:
            return command
    raise UnknownCommand(f"there is no command `{name}`")


def with_roles(overrides: Mapping[str, str]) -> tuple[Command, ...]:
    """The commands with minimum roles taken from configuration; unknown names are errors."""
    roles = {find(name).name: Role.named(role) for name, role in overrides.items()}
    return tuple(replace(c, role=roles.get(c.name, c.role)) for c in COMMANDS)


def resolve(line: CommandLine, commands: tuple[Command, ...] = COMMANDS) -> Invocation:
    """The command a line names (longest match of its first words) with its arguments read."""
    if line.too_long:
        raise BadArguments(
            f"this command line is longer than {MAX_LINE_CHARS:,} characters, so it was not "
            "read; write it shorter"
        )
    first = line.rest.split()
    if not first:
        help_command = next(c for c in commands if c.name == "help")
        return Invocation(help_command, args.HelpTopic(None), line)
    for command in sorted(commands, key=lambda c: -len(c.name.split())):
        size = len(command.name.split())
        if [_folded(w) for w in first[:size]] == command.name.split():
            rest = line.rest.split(None, size)[size] if len(first) > size else ""
            return Invocation(command, command.read(rest, command.name), line)
    family = [c.name for c in commands if c.name.split()[0] == _folded(first[0])]
    spelled = " ".join(first[:2]) if family else first[0]
    raise UnknownCommand(
        f"there is no command `{spelled}`", family[0] if len(family) == 1 else None
    )
