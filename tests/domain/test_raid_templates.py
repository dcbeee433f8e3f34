"""The RAID issue templates the playbooks ship are read back by the RAID rules: an item a
person files from one (and fills in) has its owner, due date, probability, impact and
mitigation, and is on the RAID log as its kind."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.domain.engagement import RAID_KINDS, RAID_LOG
from bot.domain.model import LiveIssue
from bot.domain.raid import RaidFields, fields_of, raid_details
from bot.engine.marker import Marker, parse, with_marker
from bot.gitlab.kinds.templates import FILE_MARKER, OWN_MARKER
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint, IssueTemplate
from tests.domain.world import START

PLAYBOOKS = ("tool-adoption", "transformation", "ps-lifecycle")
FILLED = {
    "Owner": "@jane.doe",
    "Due": "2026-03-31",
    "Probability": "high",
    "Impact": "Medium",
    "Mitigation": "Book the | change window early",
}
WANTED = RaidFields(
    "jane.doe", date(2026, 3, 31), "High", "Medium", "Book the | change window early"
)


def shipped(name: str) -> Blueprint:
    return render(load_playbook(name), {"customer": "Acme", "start_date": START.isoformat()})


def filed(template: IssueTemplate, fill: dict[str, str]) -> LiveIssue:
    """The issue GitLab makes from the template's file: quick actions applied and taken out
    of the text (the marker the file carries stays, hidden), the cells filled in as given."""
    marked = with_marker(template.body, Marker(template.key, {"description": "x"}))
    text = marked.replace(OWN_MARKER, FILE_MARKER)
    labels = tuple(re.findall(r'~"([^"]+)"', text))
    text = "\n".join(line for line in text.splitlines() if not line.startswith("/label "))
    for name, value in fill.items():
        cell = value.replace("|", "\\|")  # a pipe inside a cell is written escaped
        text = text.replace(f"| {name} | - |", f"| {name} | {cell} |")
    return LiveIssue(7, template.title, "opened", labels, None, None, None, text)


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_every_raid_kind_has_a_template_labelled_for_the_raid_log(name):
    templates = shipped(name).templates
    kinds = {RAID_KINDS[label] for t in templates for label in t.labels if label in RAID_KINDS}
    assert kinds == set(RAID_KINDS.values())
    assert all(RAID_LOG in t.labels for t in templates)
    assert all(t.path == f".gitlab/issue_templates/{t.title}.md" for t in templates)


@pytest.mark.parametrize("template", shipped("tool-adoption").templates, ids=lambda t: t.title)
def test_an_item_filed_from_a_template_and_filled_in_is_read_back_with_every_field(template):
    assert fields_of(filed(template, FILLED)) == WANTED
    assert parse(filed(template, FILLED).description)[1] is None  # a person's item, not the bot's
    (detail,) = raid_details(Blueprint("x"), [filed(template, FILLED)])
    assert detail.kind == RAID_KINDS[next(lb for lb in template.labels if lb in RAID_KINDS)]


@pytest.mark.parametrize(
    ("fill", "wanted"),
    [
        ({}, RaidFields()),
        ({"Owner": "@pam"}, RaidFields(owner="pam")),
        ({"Due": "2026-01-02"}, RaidFields(due=date(2026, 1, 2))),
        ({"Probability": "LOW", "Impact": "high"}, RaidFields(probability="Low", impact="High")),
        ({"Impact": "huge"}, RaidFields()),
        ({"Due": "soon"}, RaidFields()),
        ({"Mitigation": "Plan B"}, RaidFields(mitigation="Plan B")),
    ],
)
def test_a_template_left_partly_unfilled_reads_back_only_what_was_given(fill, wanted):
    (template,) = [t for t in shipped("transformation").templates if t.key.endswith("raid-risk")]
    item = filed(template, fill)
    assert fields_of(item) == wanted
    (detail,) = raid_details(Blueprint("x"), [item])
    assert detail.needs_owner_or_date == (wanted.impact == "High")
