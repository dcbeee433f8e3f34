"""What the bot believes the instance can do: derived from version and tier (table tests), and
detected against the sandbox on each tier with the fewest requests the token allows."""

from __future__ import annotations

import pytest

from bot.gitlab import connect
from bot.gitlab.capabilities import Capabilities, parse_version


@pytest.mark.parametrize(
    ("version", "tier", "mode", "parents", "linked", "project_hooks", "milestone_events"),
    [
        ("17.6.2-ee", "premium", "legacy", False, True, True, False),
        ("18.0.0-ee", "ultimate", "legacy", True, True, True, False),
        ("18.1.0-ee", "premium", "work_items", False, True, True, False),
        ("18.2.1-ee", "ultimate", "work_items", True, True, True, True),
        ("17.3.0", "free", "issues", False, False, False, False),
        ("18.2.0", "free", "issues", False, True, False, True),
        ("", "premium", "work_items", False, True, True, True),  # unknown: the newest
    ],
)
def test_features_follow_from_version_and_tier(
    version, tier, mode, parents, linked, project_hooks, milestone_events
):
    found = Capabilities(version, tier, "license")
    assert found.epic_mode == mode
    assert found.parent_epics is parents
    assert found.linked_items_on_create is linked
    assert found.group_project_hooks is project_hooks
    assert found.milestone_events is milestone_events
    assert found.dora is (tier == "ultimate") and found.health_status is (tier == "ultimate")
    assert ("issue.weight" in found.unsupported) is (tier == "free")


def test_the_one_line_for_people_names_version_tier_and_placement():
    assert Capabilities("18.2.0-ee", "premium", "plan").describe() == (
        "GitLab 18.2, Premium: epics as work items, no parent epics: phases listed in the "
        "engagement epic"
    )
    assert Capabilities("17.6.0-ee", "ultimate", "license").describe() == (
        "GitLab 17.6, Ultimate: legacy REST epics, phase epics under the engagement epic"
    )
    assert parse_version("18.10.3-ee") == (18, 10)


@pytest.mark.parametrize("tier", ["free", "premium", "ultimate"])
def test_the_tier_is_read_once_per_client_and_group(sandbox_server, tier):
    sandbox_server.reset(tier)
    gl = sandbox_server.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    port = connect(sandbox_server.url, sandbox_server.token, "acme/delivery")
    port.load()
    before = port.conn.requests
    assert port.capabilities.tier == tier
    assert port.capabilities.source == ("edition" if tier == "free" else "license")
    assert port.conn.requests - before <= 2  # /metadata, and /license on Enterprise Edition
    again = connect(sandbox_server.url, sandbox_server.token, "acme/delivery")
    again.load()
    assert again.capabilities is port.capabilities
    assert again.conn.requests == 1  # the project only


def test_a_token_that_cannot_read_the_license_learns_the_tier_from_the_groups_plan(sandbox_server):
    sandbox_server.reset("premium")
    sandbox_server.seed(
        {
            "users": [{"username": "dev"}],
            "groups": [{"path": "acme", "members": {"dev": 30}}],
            "projects": [{"path": "delivery", "namespace": "acme"}],
        }
    )
    port = connect(sandbox_server.url, "dev-token", "acme/delivery")
    assert (port.capabilities.tier, port.capabilities.source) == ("premium", "plan")
