"""Why a decision cannot be taken, in words for the person who asked."""

from __future__ import annotations


class NotPossible(Exception):
    """The request is well formed but the engagement's state does not allow it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
