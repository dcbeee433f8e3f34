"""What stays internal: customer-facing playbook texts carry no internal terms, and replies
name no server path (who sees the dashboard's internal view: tests/dashboard/test_audience.py)."""

from __future__ import annotations

import re

import pytest

from bot.domain.decisions import engagement
from bot.domain.errors import NotPossible
from bot.domain.model import ProjectFacts
from bot.domain.playbooks import Asked
from bot.playbook import load_playbook, render, shipped_playbooks
from bot.playbook.problems import PlaybookError, Problem

INTERNAL_TERMS = re.compile(
    r"(?i)\b(timesheets?|revenue|margin|invoic\w*|utili[sz]ation|bookings?|rate card)\b"
)


@pytest.mark.parametrize("name", ["tool-adoption", "transformation"])
def test_customer_facing_playbooks_say_nothing_internal(name):
    playbook = load_playbook(name)
    assert playbook.spec.audience == "customer"
    blueprint = render(playbook, {"customer": "Acme", "start_date": "2026-01-05"})
    texts = [
        *(f"{i.key}: {i.title}\n{i.description}" for i in blueprint.issues),
        *(f"{e.key}: {e.title}\n{e.description}" for e in blueprint.epics),
        *(f"{w.issue.key}: {w.issue.description}" for w in blueprint.weekly_status[:1]),
        *(f"{t.key}: {t.title}\n{t.description}" for t in blueprint.timeboxes),
    ]
    found = [
        (text.split(":", 1)[0], m.group(0)) for text in texts for m in INTERNAL_TERMS.finditer(text)
    ]
    assert found == []


def test_the_internal_lifecycle_may_speak_of_revenue():
    assert "ps-lifecycle" in shipped_playbooks()
    assert load_playbook("ps-lifecycle").spec.audience == "internal"


def test_a_playbook_problem_is_told_by_file_name_never_by_the_servers_path():
    problem = Problem("/srv/psdm/playbooks/custom.yml", 12, 3, "unknown variable 'x'")
    assert problem.public() == "custom.yml:12:3: unknown variable 'x'"

    def broken(_choice):
        raise PlaybookError([problem])

    facts = ProjectFacts(1, "acme/app", "app")
    with pytest.raises(NotPossible) as refused:
        engagement(facts, None, Asked("custom"), (), broken)
    assert "custom.yml:12:3: unknown variable 'x'" in refused.value.reason
    assert "/srv/" not in refused.value.reason
