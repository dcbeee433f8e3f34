"""The sandbox's REST answers carry every key of GitLab's documented example responses."""

from __future__ import annotations

import json

import pytest

from gitlab_sandbox.render import Render

from . import shapes
from .families import FAMILIES
from .inventory import REST, Rest
from .shapes import fixture

PREMIUM = [entry for entry in REST if entry.tier == "premium"]


@pytest.mark.parametrize("entry", PREMIUM, ids=lambda entry: entry.name)
def test_answer_has_the_documented_keys_and_types(world, entry: Rest):
    answer = world.call(
        entry.method,
        world.fill(entry.call),
        params=entry.query or None,
        json=world.fill(entry.body) if entry.body else None,
    )
    if isinstance(answer, list):
        assert answer, f"{entry.name}: an empty list proves nothing"
    assert fixture(entry.fixture).check(entry.example, answer) == []


def test_every_fixture_names_its_source_and_every_example_is_used():
    used = {(entry.fixture, entry.example) for entry in (*REST, *FAMILIES)} | {
        ("issue", "weight"),
        ("issue", "epic"),
        ("group_milestone", "one"),
        ("namespace", "plan"),
        ("upload", "create"),  # test_rest_families.py, a multipart call
    }
    for name in shapes.all_fixtures():
        found = fixture(name)
        assert found.source.startswith("GL:doc/api/")
        assert len(found.commit) == 40
        sections = json.loads((shapes.FIXTURES / f"{name}.json").read_text())["sections"]
        assert set(found.examples) <= set(sections), f"{name}: an example without its section"
        unused = {example for example in found.examples if (name, example) not in used}
        assert not unused, f"{name}: examples no test compares: {sorted(unused)}"


def test_premium_issues_carry_weight_and_epic(world):
    issue = world.call("GET", world.fill("/projects/{pid}/issues/{iid}"))
    assert fixture("issue").check("weight", issue) == []
    assert fixture("issue").check("epic", issue) == []
    assert issue["epic"]["iid"] == world.ids["epic_iid"]


def test_project_milestones_with_ancestors_are_project_or_group_milestones(world):
    """The bot lists with `include_ancestors`: group milestones come back in their own shape."""
    listed = world.call(
        "GET", world.fill("/projects/{pid}/milestones"), params={"include_ancestors": True}
    )
    assert {"group" if "group_id" in m else "project" for m in listed} == {"group", "project"}
    for milestone in listed:
        name = "group_milestone" if "group_id" in milestone else "milestone"
        assert fixture(name).check("one", milestone) == [], milestone["title"]


@pytest.mark.parametrize(
    ("method", "key"),
    [("issue", "web_url"), ("milestone", "due_date"), ("user", "username"), ("note", "system")],
)
def test_a_key_removed_from_a_sandbox_answer_is_reported(world, monkeypatch, method, key):
    """The checker is not vacuous: drop one documented key from what the sandbox renders."""
    original = getattr(Render, method)

    def without_key(self, *args, **kwargs):
        data = original(self, *args, **kwargs)
        data.pop(key, None)
        return data

    monkeypatch.setattr(Render, method, without_key)
    issue = world.call("GET", world.fill("/projects/{pid}/issues/{iid}"))
    notes = world.call("GET", world.fill("/projects/{pid}/issues/{iid}/notes"))
    found = fixture("issue").check("get", issue) + fixture("note").check("list", notes)
    wanted = {
        "issue": "$.web_url: missing",
        "milestone": "$.milestone.due_date: missing",
        "user": "$.author.username: missing",
        "note": "$[0].system: missing",
    }[method]
    assert wanted in found


def test_namespaces_tell_the_plan_gitlab_com_style(world):
    namespace = world.call("GET", world.fill("/namespaces/{gid}"))
    assert fixture("namespace").check("plan", namespace) == []
    assert namespace["plan"] == "premium"
    assert namespace["members_count_with_descendants"] == 2  # root, its owner, and alice
