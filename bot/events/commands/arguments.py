"""The typed arguments of each command, read from the words after the command's name."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.events.commands.errors import BadArguments
from bot.events.commands.reply import no_mentions, no_quick_actions
from bot.playbook.playbook import is_playbook_name

_LEADING_SLASH = re.compile(r"^(\s*)/")


@dataclass(frozen=True)
class NoArguments:
    pass


@dataclass(frozen=True)
class HelpTopic:
    command: str | None


@dataclass(frozen=True)
class PlaybookChoice:
    """A playbook (None: the engagement's own) and KEY=VALUE variables, in the order given."""

    playbook: str | None
    variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PhaseTarget:
    """`next`, or a phase by key or name (matched against the playbook when the command runs);
    `force` moves past open gates."""

    target: str
    force: bool = False


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Forced:
    """A command whose only argument is `--force` (do it despite the warnings)."""

    force: bool = False


@dataclass(frozen=True)
class RolePeople:
    """A PSDM role (key or alias, checked when the command runs) and the usernames given."""

    role: str
    people: tuple[str, ...]


@dataclass(frozen=True)
class GatePass:
    """`gate pass`, or `gate pass --force "REASON"`: pass the gate as it stands, recorded."""

    force: bool = False
    reason: str = ""


Arguments = (
    NoArguments | HelpTopic | PlaybookChoice | PhaseTarget | Text | Forced | RolePeople | GatePass
)
FORCE = "--force"


def _without_force(rest: str) -> tuple[str, bool]:
    words = rest.split()
    return " ".join(w for w in words if w.lower() != FORCE), any(w.lower() == FORCE for w in words)


def words(rest: str, command: str) -> list[str]:
    """Shell-like words, so `customer="Acme Corp"` stays one word."""
    try:
        return shlex.split(rest)
    except ValueError as error:
        raise BadArguments(f"cannot read the arguments ({error})", command) from None


def nothing(rest: str, command: str) -> NoArguments:
    if rest.strip():
        raise BadArguments(f"`{command}` takes no arguments, but got `{rest.strip()}`", command)
    return NoArguments()


def playbook_choice(rest: str, command: str, *, variables: bool) -> PlaybookChoice:
    playbook: str | None = None
    pairs: list[tuple[str, str]] = []
    for word in words(rest, command):
        key, sep, value = word.partition("=")
        if sep and variables:
            if not key:
                raise BadArguments(f"`{word}` has no variable name before `=`", command)
            pairs.append((key, value))
        elif sep:
            raise BadArguments(f"`{command}` takes no variables, but got `{word}`", command)
        elif playbook is None:
            if not is_playbook_name(word):
                raise BadArguments(
                    "a playbook is chosen by its name (such as `tool-adoption`), never by a path",
                    command,
                )
            playbook = word
        else:
            raise BadArguments(
                f"one playbook at most, but got `{playbook}` and `{word}`"
                + (" (variables are written KEY=VALUE)" if variables else ""),
                command,
            )
    return PlaybookChoice(playbook, tuple(pairs))


def required_text(rest: str, command: str, what: str) -> Text:
    text = rest.strip()
    if not text:
        raise BadArguments(f"`{command}` needs {what}", command)
    return Text(text)


def written_text(rest: str, command: str, what: str) -> Text:
    """Text the bot writes into GitLab under its own name (a risk's title and description):
    no `@` in it mentions anyone and no line of it is a quick action."""
    text = no_quick_actions(no_mentions(required_text(rest, command, what).text))
    # The text after a first colon starts the description once a severity such as `high:`
    # is taken off; a slash there is escaped too (Markdown still shows a slash).
    head, colon, tail = text.partition(":")
    if len(head.split()) != 1:
        return Text(text)
    return Text(head + colon + _LEADING_SLASH.sub(r"\1\\/", tail))


def phase_target(rest: str, command: str) -> PhaseTarget:
    target, force = _without_force(rest)
    if not target:
        raise BadArguments(f"`{command}` needs `next` or the name of a phase", command)
    return PhaseTarget(target, force)


def forced(rest: str, command: str) -> Forced:
    left, force = _without_force(rest)
    if left:
        raise BadArguments(f"`{command}` takes only `{FORCE}`, but got `{left}`", command)
    return Forced(force)


def role_people(rest: str, command: str) -> RolePeople:
    """`ROLE @user [@user ...]`."""
    found = words(rest, command)
    if len(found) < 2:
        raise BadArguments("name the role and at least one person, like `pm @jane.doe`", command)
    return RolePeople(found[0], tuple(w.removeprefix("@") for w in found[1:]))


def gate_pass(rest: str, command: str) -> GatePass:
    """Nothing, or `--force` and the reason (quoted or not) that is recorded with the pass."""
    found = words(rest, command)
    if not found:
        return GatePass()
    if found[0].lower() != FORCE:
        raise BadArguments(f'`{command}` takes only `{FORCE} "REASON"`, but got `{rest}`', command)
    reason = " ".join(found[1:]).strip()
    if not reason:
        raise BadArguments(f'`{command} {FORCE}` needs the reason, as in `{FORCE} "why"`', command)
    return GatePass(True, reason)
