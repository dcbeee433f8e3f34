"""The GitLab adapter: the only code that talks to GitLab."""

from bot.gitlab.errors import BadToken, GitLabError, ProjectNotFound, RoleTooLow, Unreachable
from bot.gitlab.project import GitLabProject
from bot.gitlab.reconcile import connect, reconcile

__all__ = [
    "BadToken",
    "GitLabError",
    "GitLabProject",
    "ProjectNotFound",
    "RoleTooLow",
    "Unreachable",
    "connect",
    "reconcile",
]
