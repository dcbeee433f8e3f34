"""`psdm-bot doctor` against the stand-in: each check passes when things are right and names
the fix when they are not."""

from __future__ import annotations

import pytest

from tests.doctor.conftest import BOT, World, seed


def test_a_ready_deployment_passes_every_check_in_order(world: World) -> None:
    assert world.run("hooks", "install", "--group", "acme").exit_code == 0
    code, found = world.doctor("--group", "acme", "--send-test")
    assert code == 0, found
    assert list(found) == [
        "settings",
        "url",
        "api",
        "token",
        "role",
        "instance",
        "hooks",
        "database",
    ]
    assert "Premium" in found["instance"][0]["detail"]
    assert found["role"][0]["detail"] == f"{BOT} is Owner on group acme"


def test_text_output_is_one_line_per_check_with_the_fix(world: World) -> None:
    result = world.run("doctor", "--group", "acme")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok   settings:")
    (hooks,) = [line for line in lines if " hooks:" in line]
    assert hooks.startswith("FAIL hooks: group acme: no hook to")
    assert hooks.endswith("-> run psdm-bot hooks install --group acme")
    (dashboard,) = [line for line in lines if " dashboard:" in line]
    assert "PSDM_PUBLIC_URL" not in dashboard.split("->")[0]
    assert "PSDM_OAUTH_APPLICATION_ID" in dashboard


def test_a_missing_trigger_fails_the_hooks_check(world: World) -> None:
    world.run("hooks", "install", "--group", "acme")
    (hook,) = world.hooks()
    group = world.sandbox.gitlab().groups.get("acme")
    group.hooks.update(hook["id"], {"url": hook["url"], "note_events": False})
    code, found = world.doctor("--group", "acme")
    assert code == 1
    (finding,) = found["hooks"]
    assert finding["ok"] is False
    assert "note_events is off, should be on" in finding["detail"]
    assert finding["fix"] == "run psdm-bot hooks install --group acme"


def test_a_wrong_secret_shows_in_the_test_delivery_and_then_in_the_hook_log(world: World) -> None:
    world.run("hooks", "install", "--group", "acme", PSDM_WEBHOOK_SECRET="an-old-secret")
    code, found = world.doctor("--group", "acme", "--send-test")
    assert code == 1
    assert "401" in found["hooks"][0]["detail"]
    assert found["hooks"][0]["fix"].endswith("--reset-secret")
    code, found = world.doctor("--group", "acme")  # no new delivery: the log tells
    assert "last delivery was refused 401" in found["hooks"][0]["detail"]
    world.run("hooks", "install", "--group", "acme", "--reset-secret")
    code, found = world.doctor("--group", "acme", "--send-test")
    assert code == 0, found


def test_a_user_without_the_role_is_named_with_the_role_to_give(world: World) -> None:
    seed(world.sandbox, "premium", role=20)
    code, found = world.doctor("--group", "acme")
    assert code == 1
    (finding,) = found["role"]
    assert finding["detail"] == (
        f"{BOT} has Reporter on group acme; the bot needs Developer or higher"
    )
    assert finding["fix"].startswith(f"give {BOT} the Developer role on acme")


def test_a_group_the_bot_cannot_see_is_named(world: World) -> None:
    code, found = world.doctor("--group", "globex")
    assert code == 1
    assert found["role"][0]["detail"] == f"group globex not found, or {BOT} cannot see it"


def test_a_revoked_token_stops_the_checks_that_need_it(world: World) -> None:
    code, found = world.doctor("--group", "acme", GITLAB_TOKEN="glpat-revoked")
    assert code == 1
    assert found["token"][0]["detail"].startswith("GitLab rejected the token (401)")
    assert found["role"][0]["ok"] is None and found["hooks"][0]["ok"] is None


def test_a_token_without_the_api_scope_is_refused(world: World) -> None:
    gl = world.sandbox.gitlab()
    user = gl.users.list(username=BOT)[0]
    read_only = gl.http_post(
        f"/users/{user.id}/personal_access_tokens", post_data={"name": "ro", "scopes": ["read_api"]}
    )
    code, found = world.doctor("--group", "acme", GITLAB_TOKEN=read_only["token"])
    assert code == 1
    assert "has scopes read_api, not api" in found["token"][0]["detail"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("gitlab.example.com", "with its scheme, for example https://gitlab.example.com"),
        ("http://127.0.0.1:9", "cannot connect"),
    ],
)
def test_an_unusable_address_is_named_and_the_rest_is_skipped(world: World, url, words) -> None:
    result = world.run("doctor", "--format", "json", "--group", "acme", GITLAB_URL=url)
    assert result.exit_code == 1
    assert words in result.stdout
    assert "Traceback" not in result.output


def test_the_database_and_the_dashboard_are_checked(world: World) -> None:
    _code, found = world.doctor(
        "--group", "acme", PSDM_DATABASE_URL="postgresql://nobody@127.0.0.1:9/none"
    )
    assert found["database"][0]["ok"] is False
    assert "nobody@127.0.0.1:9/none" in found["database"][0]["detail"]
    result = world.run(
        "doctor",
        "--format",
        "json",
        "--group",
        "acme",
        PSDM_PUBLIC_URL="https://bot.example.com",
        PSDM_OAUTH_APPLICATION_ID="app",
        PSDM_OAUTH_APPLICATION_SECRET="secret",
    )
    assert '"detail": "sign-in through https://bot.example.com/auth/callback"' in result.stdout
