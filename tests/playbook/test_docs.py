"""docs/playbooks.md explains every field the schema has, in the section of its object."""

import re
from pathlib import Path

from bot.playbook import playbook_json_schema
from bot.playbook.model import ItemSpec

DOC = (Path(__file__).parents[2] / "docs" / "playbooks.md").read_text(encoding="utf-8")
SECTIONS = {
    "LabelSpec": "labels",
    "TimeBoxSpec": "timeboxes",
    "PhaseSpec": "phases",
    "EpicSpec": "epics",
    "IssueSpec": "issues",
    "BoardSpec": "boards",
    "IssueTemplateSpec": "templates",
    "VariableSpec": "variables",
    "DefaultsSpec": "defaults",
    "PilotsSpec": "pilots",
}


def section(title: str) -> str:
    match = re.search(rf"^##+ {re.escape(title)}\n(.*?)(?=^##+ |\Z)", DOC, re.M | re.S)
    assert match, f"docs/playbooks.md has no section '{title}'"
    return match.group(1)


def test_every_top_level_field_is_documented():
    top = section("Top level")
    for field in playbook_json_schema()["properties"]:
        assert f"`{field}`" in top, field


def test_every_object_field_is_documented_in_its_section():
    common = section("Series, repetition and switches")
    defs = playbook_json_schema()["$defs"]
    assert set(SECTIONS) == set(defs)
    for name, title in SECTIONS.items():
        text = section(title)
        for field in defs[name]["properties"]:
            shared = field in ItemSpec.model_fields and f"`{field}`" in common
            assert shared or f"`{field}`" in text, f"{title}.{field}"
