"""The help the bot gives: the table of commands, one command in detail, an error's help."""

from __future__ import annotations

from bot.events.commands.registry import COMMANDS, Command


def overview(commands: tuple[Command, ...] = COMMANDS) -> str:
    """Every command with the lowest role that may run it."""
    rows = [f"| `{c.synopsis}` | {c.role.title} | {c.summary} |" for c in commands]
    return "\n".join(
        [
            "Commands go on a line of their own in an issue comment; several may follow each "
            "other and run in order.",
            "",
            "| command | lowest role | what it does |",
            "|---|---|---|",
            *rows,
        ]
    )


def detail(command: Command) -> str:
    return f"`{command.synopsis}`: {command.summary} Lowest role: {command.role.title}."


def topic(name: str | None, commands: tuple[Command, ...] = COMMANDS) -> str:
    found = next((c for c in commands if c.name == name), None)
    return detail(found) if found else overview(commands)
