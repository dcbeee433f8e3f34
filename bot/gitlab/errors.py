"""GitLab failures a user can meet, each with a one-line message saying what to do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gitlab
from gql.transport.exceptions import TransportQueryError

from bot.gitlab.rest import NETWORK


class GitLabError(Exception):
    """A failure talking to GitLab; `message` is meant for the person running the bot."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(GitLabError):
    pass


class BadToken(GitLabError):
    pass


class ProjectNotFound(GitLabError):
    pass


class RoleTooLow(GitLabError):
    pass


class Rejected(GitLabError):
    """GitLab refused one write (validation error, conflict, unavailable feature)."""


def explain(error: Exception, *, url: str, project: str, doing: str) -> GitLabError:
    """Turn a python-gitlab, requests or gql exception into a GitLabError a user can act on."""
    if isinstance(error, GitLabError):
        return error
    if isinstance(error, NETWORK):
        return Unreachable(
            f"cannot reach GitLab at {url} while {doing}: check GITLAB_URL and the network"
        )
    if isinstance(error, gitlab.GitlabAuthenticationError):
        return BadToken(
            f"GitLab at {url} rejected the token (401): check GITLAB_TOKEN; it may be expired, "
            "revoked, or lack the `api` scope"
        )
    if isinstance(error, gitlab.GitlabHttpError):
        code = error.response_code
        if code == 403:
            return RoleTooLow(
                f"GitLab refused {doing} in {project} (403): the token's user needs at least the "
                "Developer role in the project and Planner or Reporter in its group for epics"
            )
        if code == 404 and doing.startswith("reading project"):
            return ProjectNotFound(
                f"project {project} not found at {url}, or the token's user cannot see it: check "
                "--project (GROUP/PROJECT, as in the project's URL)"
            )
        return Rejected(f"GitLab answered {code} while {doing}: {error.error_message}")
    if isinstance(error, TransportQueryError):
        return Rejected(f"GitLab GraphQL refused {doing}: {error.errors or error}")
    return Rejected(f"{doing} failed: {error}")


@contextmanager
def explained(*, url: str, project: str, doing: str) -> Iterator[None]:
    """Whatever fails inside leaves as a GitLabError saying what was being done (`explain`);
    a GitLabError raised inside passes as it is."""
    try:
        yield
    except GitLabError:
        raise
    except Exception as error:
        raise explain(error, url=url, project=project, doing=doing) from None
