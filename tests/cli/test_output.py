from __future__ import annotations

import pytest

from bot.cli.output import credentials
from bot.gitlab.errors import GitLabError


def test_credentials_come_from_gitlab_url_and_token():
    env = {"GITLAB_URL": "https://gl.example", "GITLAB_TOKEN": "t", "CI_SERVER_URL": "https://ci"}
    assert credentials(env) == ("https://gl.example", "t")


def test_inside_gitlab_ci_the_server_url_is_used_but_never_the_job_token():
    assert credentials({"CI_SERVER_URL": "https://ci", "GITLAB_TOKEN": "t"}) == ("https://ci", "t")
    with pytest.raises(GitLabError, match="CI_JOB_TOKEN cannot"):
        credentials({"CI_SERVER_URL": "https://ci", "CI_JOB_TOKEN": "job"})


def test_a_missing_url_says_which_variable_to_set():
    with pytest.raises(GitLabError, match="set GITLAB_URL"):
        credentials({"GITLAB_TOKEN": "t"})
