"""RAID items with substance: `/psdm risk` fields, reading them back, flags and health."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.effects import CreateIssue, Decision
from bot.domain.errors import NotPossible
from bot.domain.health import HealthFacts, health
from bot.domain.model import LiveIssue
from bot.domain.raid import RaidFields, fields_of, raid_details, raise_risk, risk_arguments
from tests.domain.world import blueprint

DAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "body", "fields"),
    [
        ("Runners may be late", "Runners may be late", RaidFields()),
        (
            "Runners late owner=@tara due=2026-03-09 probability=high impact=medium "
            'mitigation="Book shared runners now"',
            "Runners late",
            RaidFields("tara", date(2026, 3, 9), "High", "Medium", "Book shared runners now"),
        ),
        ("high: SSO slips IMPACT=High", "high: SSO slips", RaidFields(impact="High")),
        ("See https://x.test/a=b", "See https://x.test/a=b", RaidFields()),
        # the command reader joins a word joiner to every `@` so that no text mentions anyone
        ("Late owner=@\u2060tara", "Late", RaidFields("tara")),
    ],
)
def test_risk_arguments_are_read_after_the_text(text, body, fields):
    assert risk_arguments(text) == (body, fields)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Late owner=@a,@b", "owner is one GitLab username"),
        ("Late due=tomorrow", "due is a date written YYYY-MM-DD"),
        ("Late impact=huge", "impact is one of high, medium or low"),
        ("Late owner=@a cost=5", "'cost=5' is no field of a risk"),
        ('Late mitigation="unclosed', "cannot read the risk's fields"),
    ],
)
def test_unreadable_fields_are_refused_with_the_reason(text, reason):
    with pytest.raises(NotPossible, match=reason):
        risk_arguments(text)


def test_a_risk_with_fields_is_assigned_dated_and_rated_by_probability_and_impact():
    outcome = raise_risk(
        "Runners late owner=@tara due=2026-03-09 probability=high impact=high "
        'mitigation="Book runners"',
        "pam",
        4,
        77,
    )
    assert isinstance(outcome, Decision)
    (create,) = outcome.effects
    assert isinstance(create, CreateIssue)
    assert create.labels == ("PS RAID Log", "PS Risk", "PS:: Priority High")
    assert (create.assignees, create.due_date) == (("tara",), date(2026, 3, 9))
    assert "| Mitigation | Book runners |" in create.description
    assert "Raised by @pam in #4." in create.description
    assert "give it an owner" not in create.said


def test_a_high_impact_risk_without_owner_is_told_to_get_one():
    outcome = raise_risk("high: SSO slips impact=high", "pam", 4, 78)
    assert isinstance(outcome, Decision)
    (create,) = outcome.effects
    assert isinstance(create, CreateIssue)
    assert create.labels[-1] == "PS:: Priority High"
    assert "It has high impact: give it an owner and a due date." in create.said
    assert "State the impact" in create.description, "no mitigation yet: asked for"


def issue(iid: int, labels: tuple[str, ...], description: str = "", **more) -> LiveIssue:
    return LiveIssue(iid, f"Item {iid}", "opened", labels, None, None, None, description, **more)


def test_fields_are_read_from_gitlab_first_then_the_description_table():
    table = RaidFields("nobody", date(2026, 1, 1), "Low", "High", "A | B").table()
    found = fields_of(issue(1, ("PS Risk",), table, assignees=("tara",), due_date=DAY))
    assert found == RaidFields("tara", DAY, "Low", "High", "A | B")
    by_hand = "| Owner | @pam |\n| Impact | high |\n| Due | not yet |"
    assert fields_of(issue(2, ("PS Risk",), by_hand)) == RaidFields("pam", None, None, "High", "")


def test_details_flag_high_impact_items_without_owner_or_date_and_keep_internal_ones_apart():
    items = [
        issue(1, ("PS RAID Log", "PS Risk", "PS:: Priority High")),
        issue(2, ("PS Risk",), RaidFields(None, DAY, "High", "High").table(), assignees=("x",)),
        issue(3, ("PS Issue", "PS Internal")),
        issue(4, ("PS Dependency",), "", due_date=date(2026, 2, 1)),
        LiveIssue(5, "Closed", "closed", ("PS Risk",), None, None, None, ""),
        issue(6, ("Unrelated",)),
        issue(7, ("PS Risk",), "", confidential=True),
    ]
    details = raid_details(blueprint(), items)
    assert [d.iid for d in details] == [1, 2, 3, 4, 7]
    by_iid = {d.iid: d for d in details}
    assert by_iid[1].needs_owner_or_date and by_iid[1].missing() == "owner and due date"
    assert not by_iid[2].needs_owner_or_date, "owned (assignee) and dated"
    assert by_iid[2].severity == "High", "probability times impact where no label says"
    assert by_iid[3].internal and by_iid[7].internal and not by_iid[1].internal
    assert by_iid[4].overdue(DAY) and not by_iid[2].overdue(DAY)


@pytest.mark.parametrize(("overdue", "status"), [(0, "green"), (1, "amber"), (3, "red")])
def test_overdue_raid_items_count_in_health(overdue, status):
    facts = HealthFacts(DAY, None, None, 0, (), 0, overdue_raid=overdue)
    assert health(facts).status == status
