"""Scenarios of the command line: plan and apply against the sandbox, and the errors people meet."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.gitlab import BadToken, ProjectNotFound, RoleTooLow, Unreachable, reconcile
from tests.scenarios.support import ACME, tool_adoption

VARS = [arg for key, value in ACME.items() for arg in ("--var", f"{key}={value}")]


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def env_for(sandbox, token: str | None = None) -> dict[str, str]:
    return {"GITLAB_URL": sandbox.url, "GITLAB_TOKEN": token or sandbox.token}


def test_given_an_empty_project_when_apply_runs_from_the_cli_then_plan_after_exits_0(engagement):
    env = env_for(engagement.sandbox)
    project = ["--project", engagement.path]
    pending = run(env, "plan", "tool-adoption", *project, *VARS, "--detailed-exitcode")
    assert pending.exit_code == 2
    applied = run(env, "apply", "tool-adoption", *project, *VARS, "--yes", "--format", "json")
    assert applied.exit_code == 0, applied.output
    data = json.loads(applied.output)
    assert data["result"]["applied"] == sum(op["op"] != "unchanged" for op in data["operations"])
    after = run(env, "plan", "tool-adoption", *project, *VARS, "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "0 to create, 0 to update, 0 to adopt" in after.output


def test_given_a_dry_run_when_apply_runs_then_nothing_is_created(engagement):
    env = env_for(engagement.sandbox)
    result = run(env, "apply", "tool-adoption", "--project", engagement.path, *VARS, "--dry-run")
    assert result.exit_code == 0 and "to create" in result.output
    assert engagement.project.issues.list(get_all=True) == []


def test_offline_plan_needs_no_gitlab():
    result = run({}, "plan", "tool-adoption", *VARS, "--format", "markdown")
    assert result.exit_code == 0
    assert result.output.startswith("### psdm-bot plan: `tool-adoption`")


def test_without_a_token_apply_says_which_variable_to_set(sandbox):
    result = CliRunner().invoke(
        app,
        ["apply", "tool-adoption", "--project", "acme/delivery", *VARS, "--yes"],
        env={"GITLAB_URL": sandbox.url, "GITLAB_TOKEN": ""},
    )
    assert result.exit_code == 1
    assert "set GITLAB_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_url_is_reported_as_such():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unreachable, match="cannot reach GitLab"):
        reconcile(f"http://127.0.0.1:{port}", "t", "acme/delivery", tool_adoption())


def test_a_bad_token_is_reported_as_such(sandbox):
    with pytest.raises(BadToken, match="rejected the token"):
        reconcile(sandbox.url, "not-a-token", "acme/delivery", tool_adoption())


def test_a_missing_project_is_reported_as_such(sandbox):
    with pytest.raises(ProjectNotFound, match="project acme/nowhere not found"):
        reconcile(sandbox.url, sandbox.token, "acme/nowhere", tool_adoption())


def test_a_role_too_low_to_write_is_reported_before_any_write(engagement):
    gl = engagement.sandbox.gitlab()
    user = gl.users.create(
        {"username": "guest", "name": "Guest", "email": "g@example.com", "password": "x" * 12}
    )
    gl.projects.get(engagement.path).members.create({"user_id": user.id, "access_level": 10})
    token = user.personal_access_tokens.create({"name": "t", "scopes": ["api"]}).token
    with pytest.raises(RoleTooLow, match="too low a role"):
        reconcile(engagement.sandbox.url, token, engagement.path, tool_adoption())
    assert engagement.project.issues.list(get_all=True) == []


def test_given_gitlab_refuses_issues_when_apply_runs_then_it_fails_and_the_next_one_completes(
    engagement,
):
    env = env_for(engagement.sandbox)
    args = ["apply", "tool-adoption", "--project", engagement.path, *VARS, "--yes"]
    engagement.sandbox.set_faults(
        {"route": "*/issues", "method": "POST", "status": 422, "burst": 1}
    )
    failed = run(env, *args)
    assert failed.exit_code == 1
    assert "failed: " in failed.output and "Run apply again" in failed.output
    assert run(env, *args).exit_code == 0
    after = run(env, "plan", "tool-adoption", "--project", engagement.path, *VARS)
    assert "0 to create, 0 to update, 0 to adopt" in after.output


def test_given_only_a_project_when_apply_runs_from_the_cli_then_the_project_supplies_variables(
    engagement,
):
    env = env_for(engagement.sandbox)
    project = ["--project", engagement.path]
    created = engagement.project.created_at[:10]
    applied = run(env, "apply", "tool-adoption", *project, "--yes", "--format", "json")
    assert applied.exit_code == 0, applied.output
    variables = json.loads(applied.output)["variables"]
    assert (variables["customer"], variables["start_date"]) == ("delivery", created)
    after = run(env, "plan", "tool-adoption", *project, "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "0 to create, 0 to update, 0 to adopt" in after.output
    blueprint = tool_adoption()
    built = len(blueprint.issues) + (len(blueprint.epics) if engagement.tier == "free" else 0)
    assert len(engagement.project.issues.list(get_all=True)) == built
    overridden = run(
        env, "plan", "tool-adoption", *project, "--var", "customer=Acme Corp", "--format", "json"
    )
    variables = json.loads(overridden.output)["variables"]
    assert (variables["customer"], variables["start_date"]) == ("Acme Corp", created)
