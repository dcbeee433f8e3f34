"""`psdm-bot serve` refuses settings it could never work with: one line each, naming the fix,
exit 2, before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

READY = {
    "GITLAB_URL": "https://gitlab.example.com",
    "GITLAB_TOKEN": "glpat-x",
    "PSDM_WEBHOOK_SECRET": "s",
    "PSDM_CONFIG": "",
}


def serve(tmp_path: Path, config: str | None = None, **env: str):
    values = {**READY, **env}
    if config is not None:
        path = tmp_path / "psdm.yml"
        path.write_text(config)
        values["PSDM_CONFIG"] = str(path)
    return CliRunner().invoke(app, ["serve", "--port", "1"], env=values)


def errors(result) -> list[str]:
    assert "Traceback" not in result.output
    return [line for line in result.stderr.splitlines() if line]


def test_without_a_gitlab_url_serve_names_the_variable(tmp_path) -> None:
    result = serve(tmp_path, GITLAB_URL="")
    assert result.exit_code == 2
    (line,) = errors(result)
    assert line.startswith("error: no GitLab URL: set GITLAB_URL to your instance's address")


def test_without_a_token_serve_names_the_variable(tmp_path) -> None:
    result = serve(tmp_path, GITLAB_TOKEN="")
    assert result.exit_code == 2
    (line,) = errors(result)
    assert line.startswith("error: no GitLab token: set GITLAB_TOKEN")


def test_a_misspelt_playbook_in_a_rule_gets_a_did_you_mean(tmp_path) -> None:
    result = serve(tmp_path, "rules:\n  - playbook: tool-adoptoin\n    topic: psdm\n")
    assert result.exit_code == 2
    assert errors(result) == [
        "error: rules[1]: unknown playbook 'tool-adoptoin': did you mean 'tool-adoption'?"
    ]


def test_a_configured_playbook_counts_as_known(tmp_path) -> None:
    own = tmp_path / "house.yml"
    own.write_text("name: house\n")
    config = f"playbooks:\n  house: {own}\nrules:\n  - playbook: house\n"
    # known: the service goes on to start (and fails on the port, which is not our concern)
    result = serve(tmp_path, config, GITLAB_URL="")
    assert errors(result) == [
        "error: no GitLab URL: set GITLAB_URL to your instance's address, for example "
        "https://gitlab.example.com (https://gitlab.com for GitLab.com)"
    ]


def test_an_unknown_setting_in_the_file_gets_a_did_you_mean(tmp_path) -> None:
    result = serve(tmp_path, "rate_limit: none\nwebhook_secrets: [s]\n")
    assert result.exit_code == 2
    assert errors(result) == [
        "error: unknown setting 'rate_limit' in the PSDM_CONFIG file: did you mean 'rate_limits'?"
    ]


def test_a_misspelt_environment_variable_gets_a_did_you_mean(tmp_path) -> None:
    result = serve(tmp_path, PSDM_WEBHOOK_SECRET="", PSDM_WEBHOOK_SECRETS="s")
    assert result.exit_code == 2
    lines = errors(result)
    assert (
        "error: unknown environment variable PSDM_WEBHOOK_SECRETS: did you mean "
        "'PSDM_WEBHOOK_SECRET'?"
    ) in lines


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("gitlab.example.com", "did you mean https://gitlab.example.com?"),
        ("ftp://gitlab.example.com", "must start with https:// or http://"),
    ],
)
def test_a_url_without_a_usable_scheme_is_one_line(tmp_path, url, words) -> None:
    result = serve(tmp_path, GITLAB_URL=url)
    assert result.exit_code == 2
    (line,) = errors(result)
    assert line.startswith("error: GITLAB_URL") and words in line


def test_a_ca_bundle_that_is_not_a_file_is_named(tmp_path) -> None:
    result = serve(tmp_path, PSDM_CA_BUNDLE=str(tmp_path / "missing.pem"))
    assert result.exit_code == 2
    (line,) = errors(result)
    assert "PSDM_CA_BUNDLE points at" in line and "missing.pem" in line


def test_the_settings_module_strips_api_v4_and_the_trailing_slash() -> None:
    from bot.config import Settings

    settings = Settings(webhook_secrets=["s"], gitlab_url="https://gl.example/gitlab/api/v4/")
    assert settings.gitlab_url == "https://gl.example/gitlab"


def test_kubernetes_service_variables_are_not_taken_for_typos() -> None:
    from bot.config import unknown_variables

    injected = {
        "PSDM_BOT_SERVICE_HOST": "10.0.0.1",
        "PSDM_BOT_SERVICE_PORT": "80",
        "PSDM_BOT_SERVICE_PORT_HTTP": "80",
        "PSDM_BOT_PORT": "tcp://10.0.0.1:80",
        "PSDM_BOT_PORT_80_TCP_ADDR": "10.0.0.1",
        "PSDM_BOT_NODES_SERVICE_HOST": "10.0.0.2",
    }
    assert unknown_variables(injected) == []
    assert unknown_variables({**injected, "PSDM_METRICS_PORTS": "9"}) == [
        "unknown environment variable PSDM_METRICS_PORTS: did you mean 'PSDM_METRICS_PORT'?"
    ]
