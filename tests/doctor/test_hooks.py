"""`psdm-bot hooks install` and `hooks check` against the stand-in, on every tier."""

from __future__ import annotations

import pytest

from tests.doctor.conftest import SECRET, World, seed


@pytest.mark.parametrize("tier", ["premium", "ultimate"])
def test_on_premium_and_ultimate_one_group_hook_is_created_once(world: World, tier: str) -> None:
    seed(world.sandbox, tier)
    first = world.run("hooks", "install", "--group", "acme")
    assert first.exit_code == 0, first.output
    assert "group acme: hook created" in first.stdout
    again = world.run("hooks", "install", "--group", "acme")
    assert again.exit_code == 0 and "group acme: hook unchanged" in again.stdout
    (hook,) = world.hooks()
    assert hook["url"] == f"{world.receiver.url}/webhook"
    wanted = ("issues_events", "confidential_issues_events", "note_events")
    assert all(hook[name] for name in (*wanted, "confidential_note_events", "milestone_events"))
    assert hook["project_events"] is True and hook["push_events"] is False
    assert world.hooks("project", "acme/delivery") == []


def test_on_free_each_project_of_the_group_gets_a_project_hook_once(world: World) -> None:
    seed(world.sandbox, "free")
    first = world.run("hooks", "install", "--group", "acme")
    assert first.exit_code == 0, first.output
    assert first.stdout.count("hook created") == 2
    assert world.run("hooks", "install", "--group", "acme").stdout.count("hook unchanged") == 2
    for project in ("acme/delivery", "acme/pilot"):
        (hook,) = world.hooks("project", project)
        assert hook["note_events"] and hook["confidential_issues_events"]
        assert "project_events" not in hook or not hook["project_events"]


def test_a_trigger_turned_off_by_hand_is_drift_that_install_puts_back(world: World) -> None:
    world.run("hooks", "install", "--group", "acme")
    (hook,) = world.hooks()
    group = world.sandbox.gitlab().groups.get("acme")
    group.hooks.update(hook["id"], {"url": hook["url"], "confidential_note_events": False})
    check = world.run("hooks", "check", "--group", "acme")
    assert check.exit_code == 1
    assert "confidential_note_events is off, should be on" in check.stdout
    fixed = world.run("hooks", "install", "--group", "acme")
    assert "hook updated: confidential_note_events is off, should be on" in fixed.stdout
    assert world.run("hooks", "check", "--group", "acme").exit_code == 0
    assert len(world.hooks()) == 1


def test_someone_elses_hook_on_the_group_is_left_alone(world: World) -> None:
    group = world.sandbox.gitlab().groups.get("acme")
    group.hooks.create({"url": "http://127.0.0.1:9/theirs", "push_events": True})
    world.run("hooks", "install", "--group", "acme")
    urls = sorted(h["url"] for h in world.hooks())
    assert urls == sorted([f"{world.receiver.url}/webhook", "http://127.0.0.1:9/theirs"])
    theirs = next(h for h in world.hooks() if h["url"].endswith("/theirs"))
    assert theirs["push_events"] is True


def test_install_needs_a_secret_and_a_url(world: World) -> None:
    no_secret = world.run("hooks", "install", "--group", "acme", PSDM_WEBHOOK_SECRET="")
    assert no_secret.exit_code == 1 and "set PSDM_WEBHOOK_SECRET" in no_secret.output
    no_url = world.run("hooks", "install", "--group", "acme", PSDM_PUBLIC_URL="")
    assert no_url.exit_code == 1 and "pass --url or set PSDM_PUBLIC_URL" in no_url.output
    assert SECRET not in no_url.output


def test_before_17_6_the_group_hook_has_no_project_events_and_a_system_hook_is_advised(
    world: World,
) -> None:
    seed(world.sandbox, "premium", version="17.5")
    result = world.run("hooks", "install", "--group", "acme")
    assert result.exit_code == 0, result.output
    assert "system hook for project_create" in result.stderr
    (hook,) = world.hooks()
    assert not hook.get("project_events") and not hook.get("milestone_events")
    assert hook["issues_events"] and hook["confidential_note_events"]
    assert world.run("hooks", "check", "--group", "acme").exit_code == 0


def test_a_user_without_owner_is_told_the_role_hooks_need(world: World) -> None:
    seed(world.sandbox, "premium", role=40)
    result = world.run("hooks", "install", "--group", "acme")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: GitLab refused: 403")
    assert "hooks need Owner on a group" in line
    assert "Traceback" not in result.output
