"""Why a command did not run, in words for the comment's author.

Commands raise these anywhere; the command runner turns them into the reply in one place.
"""

from __future__ import annotations


class CommandError(Exception):
    """A failure the author can act on; `reason` is what the reply says."""

    show_help = False

    def __init__(self, reason: str, command: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.command = command


class UnknownCommand(CommandError):
    show_help = True


class BadArguments(CommandError):
    show_help = True


class Refused(CommandError):
    """The author's role is too low for the command."""


class RateLimited(CommandError):
    """The author ran too many commands in a short time."""


class NotPossible(CommandError):
    """The command is well formed but the engagement's state does not allow it."""
