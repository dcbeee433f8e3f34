"""Scenarios of the RAID issue templates in the customer's project, over loopback against the
stand-in: made on the first apply (starting the default branch of an empty repository), left
as they are on the next, and a template a person edited is theirs."""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import quote

import httpx

from bot.domain.engagement import RAID_KINDS
from bot.domain.model import LiveIssue
from bot.domain.raid import fields_of
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.engine.marker import parse
from bot.playbook.blueprint import Blueprint
from tests.scenarios.support import tool_adoption


def only_templates() -> Blueprint:
    """The shipped templates and the labels they apply (a whole scaffold is tested elsewhere)."""
    full = tool_adoption()
    named = {name for template in full.templates for name in template.labels}
    labels = tuple(label for label in full.labels if label.name in named)
    return Blueprint(full.playbook, full.variables, labels=labels, templates=full.templates)


def api(engagement) -> httpx.Client:
    return httpx.Client(
        base_url=f"{engagement.sandbox.url}/api/v4/projects/{quote(engagement.path, safe='')}",
        headers={"PRIVATE-TOKEN": engagement.sandbox.token},
        timeout=30,
    )


def content(client: httpx.Client, path: str) -> str:
    answer = client.get(f"/repository/files/{quote(path, safe='')}", params={"ref": "main"})
    answer.raise_for_status()
    return base64.b64decode(answer.json()["content"]).decode()


def test_given_an_empty_repository_when_applied_then_gitlab_offers_a_template_per_raid_kind(
    engagement,
):
    blueprint = only_templates()
    plan, result = engagement.apply(blueprint)
    assert result.ok, result.failed[:3]
    assert plan.count("create") == len(blueprint.labels) + len(blueprint.templates)
    with api(engagement) as client:
        listed = client.get("/templates/issues").json()
        assert sorted(t["name"] for t in listed) == sorted(t.title for t in blueprint.templates)
        assert len(listed) == len(RAID_KINDS)
        risk = client.get(f"/templates/issues/{quote('RAID Risk')}").json()["content"]
    assert '/label ~"PS RAID Log" ~"PS Risk"' in risk
    assert "<!-- psdm-bot-template key=template:raid-risk" in risk
    assert parse(risk)[1] is None  # an issue filed from it does not pass for one the bot made
    filled = risk.replace("| Owner | - |", "| Owner | @jane.doe |").replace(
        "| Impact | - |", "| Impact | High |"
    )
    item = LiveIssue(1, "Risk", "opened", ("PS Risk",), None, None, None, filled)
    assert (fields_of(item).owner, fields_of(item).impact) == ("jane.doe", "High")


def test_given_the_templates_exist_when_applied_again_then_nothing_is_written(engagement):
    blueprint = only_templates()
    engagement.apply(blueprint)
    before = engagement.sandbox.stats()
    port = engagement.port()
    plan = diff(blueprint, port.read_live(blueprint))
    assert not plan.pending, plan.to_text()
    assert apply(plan, port).done == []
    after = engagement.sandbox.stats()
    writes = {
        route: count - before["routes"].get(route, 0)
        for route, count in after["routes"].items()
        if not route.startswith(("GET", "HEAD")) and "/-/sandbox" not in route
    }
    assert not any(writes.values()), writes


def test_given_a_person_edited_a_template_when_the_playbook_changes_then_their_text_is_kept(
    engagement,
):
    blueprint = only_templates()
    engagement.apply(blueprint)
    risk, action = blueprint.templates[0], blueprint.templates[4]
    with api(engagement) as client:
        mine = "## Our own risk form\n\n| Owner | - |\n"
        answer = client.put(
            f"/repository/files/{quote(risk.path, safe='')}",
            json={"branch": "main", "commit_message": "ours", "content": mine},
        )
        answer.raise_for_status()
        changed = tuple(replace(t, body=t.body.replace("## ", "### ")) for t in blueprint.templates)
        plan, result = engagement.apply(replace(blueprint, templates=changed))
        assert result.ok, result.failed[:3]
        by_key = {op.key: op for op in plan.operations}
        assert by_key[risk.key].op == "unchanged" and "description" in by_key[risk.key].kept
        assert by_key[action.key].op == "update"  # still the bot's text: it follows the playbook
        assert content(client, risk.path) == mine
        assert content(client, action.path).startswith("### Action")
        assert not engagement.plan(replace(blueprint, templates=changed)).pending


def test_given_a_template_a_person_wrote_first_when_applied_then_it_is_neither_adopted_nor_changed(
    engagement,
):
    blueprint = only_templates()
    risk = blueprint.templates[0]
    theirs = "Describe the risk.\n"
    with api(engagement) as client:
        made = client.post(
            f"/repository/files/{quote(risk.path, safe='')}",
            json={"branch": "main", "commit_message": "ours", "content": theirs},
        )
        made.raise_for_status()
        plan, result = engagement.apply(blueprint)
        assert result.ok, result.failed[:3]
        assert {op.key: op.op for op in plan.operations}[risk.key] == "unchanged"
        assert content(client, risk.path) == theirs
        assert plan.count("create") == len(blueprint.labels) + len(blueprint.templates) - 1
