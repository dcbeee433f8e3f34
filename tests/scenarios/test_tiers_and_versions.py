"""The same blueprint on Free, Premium and Ultimate, on GitLab 17.6, 18.0 and 18.2: the bot
reads what the instance is and places the epic tree the way that instance allows.

Premium: no parent epics (Ultimate only, `GL:doc/user/group/epics/manage_epics.md`), so the
engagement epic lists its phases and every epic carries the engagement's label. Before 18.1
epics are legacy REST epics (`namespace.workItems` arrived in 18.1).
"""

from __future__ import annotations

import pytest

from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.connection import forget
from bot.service.threaded import run_in_thread
from gitlab_sandbox import create_app
from tests.scenarios.support import Engagement, assert_built_once, tool_adoption


@pytest.mark.parametrize("version", ["17.6", "18.0", "18.2"])
@pytest.mark.parametrize("tier", ["free", "premium", "ultimate"])
def test_a_scaffold_is_complete_on_each_tier_and_version(sandbox_server, tier, version):
    sandbox_server.control("POST", "reset", {"tier": tier, "gitlab_version": version})
    forget(sandbox_server.url)
    gl = sandbox_server.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    engagement = Engagement(sandbox_server, tier)
    plan, result = engagement.apply(tool_adoption())
    assert result.ok, result.failed[:3]
    expected = "issues" if tier == "free" else ("work_items" if version == "18.2" else "legacy")
    assert plan.epics == expected
    assert plan.to_text().startswith(f"GitLab {version}, {tier.capitalize()}: ")
    assert plan.to_json()["gitlab"]["features"]["parent_epics"] is (tier == "ultimate")
    assert_built_once(engagement)
    assert not engagement.plan(tool_adoption()).pending


@pytest.fixture
def own_sandbox():
    """A sandbox of its own, so the test can change its tier without wiping it (a license
    upgrade or downgrade keeps the data)."""
    app = create_app(tier="premium", admin_token="tier-token")
    running = run_in_thread(app)
    try:
        yield running.url, app.state.sandbox
    finally:
        forget(running.url)
        running.stop()


def _scaffold(url: str) -> tuple:
    port = connect(url, "tier-token", "acme/delivery")
    from bot.engine.apply import apply

    plan = diff(tool_adoption(), port.read_live(tool_adoption()))
    return plan, apply(plan, port)


def _epics(url: str) -> list:
    import gitlab

    return (
        gitlab.Gitlab(url, private_token="tier-token").groups.get("acme").epics.list(get_all=True)
    )


def test_premium_then_ultimate_reparents_the_phase_epics_without_duplicates(own_sandbox):
    import gitlab

    url, sandbox = own_sandbox
    gl = gitlab.Gitlab(url, private_token="tier-token")
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    assert _scaffold(url)[1].ok
    before = {epic.iid for epic in _epics(url)}
    assert all(epic.parent_iid is None for epic in _epics(url))

    sandbox.state.tier = "ultimate"
    forget(url)
    plan, result = _scaffold(url)
    assert result.ok, result.failed[:3]
    assert {op.op for op in plan.operations if op.kind == "epic" and op.pending} == {"update"}
    epics = {epic.iid: epic for epic in _epics(url)}
    assert set(epics) == before
    titles = {epic.key: epic.title for epic in tool_adoption().epics}
    by_title = {epic.title: epic for epic in epics.values()}
    for epic in tool_adoption().epics:
        parent = by_title[titles[epic.parent]].iid if epic.parent else None
        assert by_title[epic.title].parent_iid == parent, epic.key
    assert not _scaffold(url)[0].pending

    sandbox.state.tier = "premium"  # and back: nothing breaks, nothing is written
    forget(url)
    plan, result = _scaffold(url)
    assert result.ok and not [op for op in plan.operations if op.kind == "epic" and op.pending]
