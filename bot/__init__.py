"""psdm-bot: GitLab automation for PSDM delivery engagements."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed


def version() -> str:
    """The installed package's version (from the git tag it was built at)."""
    try:
        return _installed("psdm-bot")
    except PackageNotFoundError:
        return "0+unknown"
