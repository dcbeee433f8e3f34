"""The budget: terms read from the variables, burn by role from timelogs, estimate at
completion, and the warnings when burn runs ahead of the work or the calendar."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.budget import (
    Timelog,
    budget_terms,
    burn_by_role,
    engagement_budget,
    rate_card,
)

SPAN = (date(2026, 1, 5), date(2026, 1, 25))  # 21 days
PEOPLE = {
    "project_manager": "pam",
    "technical_architects": "tara, theo",
    "ps_engineers": "pete",
    "customer_sponsor": "sue",
}


def hours(username: str, count: float) -> Timelog:
    return Timelog(username, 1, round(count * 3600))


@pytest.mark.parametrize(
    ("variables", "then"),
    [
        ({}, None),
        ({"budget_hours": "abc"}, None),
        ({"budget_hours": "0"}, None),
        ({"budget_hours": "-5"}, None),
        ({"budget_hours": "400"}, (400.0, None, "fixed_fee", None, 10, ())),
        (
            {
                "budget_hours": 400,
                "budget_value": "72,000",
                "contract_type": "time_and_materials",
                "rate_card": "pm=180, ta=220",
                "budget_warning_margin": 5,
            },
            (
                400.0,
                72000.0,
                "time_and_materials",
                {"project_manager": 180.0, "technical_architect": 220.0},
                5,
                (),
            ),
        ),
        (
            {"budget_hours": 10, "contract_type": "barter", "rate_card": "cto=1, pm=x"},
            (
                10.0,
                None,
                "fixed_fee",
                {},
                10,
                (
                    "contract_type 'barter': one of fixed_fee, time_and_materials",
                    "rate card: 'cto' is no role",
                    "rate card: 'pm=x' has no rate (write project_manager=150)",
                ),
            ),
        ),
    ],
)
def test_terms_come_from_the_variables_and_bad_parts_are_named(variables, then):
    terms = budget_terms(variables)
    if then is None:
        assert terms is None
        return
    assert terms is not None
    assert (
        terms.hours,
        terms.value,
        terms.contract,
        terms.rates,
        terms.margin,
        terms.problems,
    ) == then


def test_a_rate_card_takes_role_keys_and_aliases():
    assert rate_card("em=250; technical_architect: 220\npse=160") == (
        {"engagement_manager": 250.0, "technical_architect": 220.0, "ps_engineer": 160.0},
        (),
    )


def test_time_is_counted_under_each_persons_role_and_strangers_apart():
    logs = [
        hours("pam", 2),
        hours("tara", 3),
        hours("theo", 1),
        hours("Pete", 4),
        hours("zed", 1),
        Timelog("tara", 2, -1800),
    ]
    found = burn_by_role(PEOPLE, logs, {"technical_architect": 200.0, "project_manager": 100.0})
    assert [(r.role, r.hours, r.people, r.cost) for r in found] == [
        ("project_manager", 2.0, ("pam",), 200.0),
        ("technical_architect", 3.5, ("tara", "theo"), 700.0),
        ("ps_engineer", 4.0, ("Pete",), None),
        ("unmapped", 1.0, ("zed",), None),
    ]
    assert found[-1].title == "Not in any role"


@pytest.mark.parametrize(
    ("spent", "today", "complete", "then"),
    [
        # 100 h budget; 21-day span
        (10, date(2026, 1, 11), 40, (10, 33, 25.0, ())),
        (
            50,
            date(2026, 1, 11),
            20,
            (
                50,
                33,
                250.0,
                (
                    "burn (50%) runs 30 points ahead of the work done (20%)",
                    "burn (50%) runs 17 points ahead of the calendar (33% elapsed)",
                    "estimate at completion exceeds the budget by 150 hours (see the margin)",
                ),
            ),
        ),
        (20, date(2026, 1, 11), None, (20, 33, None, ())),
        (
            45,
            date(2026, 1, 11),
            40,
            (
                45,
                33,
                112.5,
                (
                    "burn (45%) runs 12 points ahead of the calendar (33% elapsed)",
                    "estimate at completion exceeds the budget by 12 hours (see the margin)",
                ),
            ),
        ),
    ],
)
def test_burn_estimate_at_completion_and_warnings(spent, today, complete, then):
    budget = engagement_budget(
        {"budget_hours": "100", **PEOPLE}, [hours("pam", spent)], 0, SPAN, today, complete
    )
    assert budget is not None
    assert (
        budget.burned_percent,
        budget.elapsed_percent,
        budget.estimate_at_completion,
        budget.warnings,
    ) == then


def test_without_timelogs_the_issues_totals_burn_the_budget():
    budget = engagement_budget({"budget_hours": "100"}, [], 36000, SPAN, date(2026, 1, 11), 50)
    assert budget is not None
    assert (budget.spent_hours, budget.by_role) == (10.0, ())
    assert budget.text() == (
        "Budget: 10 of 100 hours spent (10%), 33% of the time elapsed, 50% of the work done; "
        "estimate at completion 20 hours."
    )


def test_a_fixed_fee_shows_cost_and_margin_at_completion():
    variables = {
        "budget_hours": "100",
        "budget_value": "20000",
        "currency": "EUR",
        "rate_card": "pm=100, ta=200",
        **PEOPLE,
    }
    logs = [hours("pam", 10), hours("tara", 10)]
    budget = engagement_budget(variables, logs, 0, SPAN, date(2026, 1, 11), 25)
    assert budget is not None
    assert budget.cost_spent == 3000.0
    # 20 h for 25% of the work: 80 h at completion, costing 12,000 of the 20,000 fee
    assert budget.margin_percent == 40
    text = "\n".join(budget.lines())
    assert "Contract: fixed fee, 20,000 EUR; cost so far 3,000 EUR at the rate card; " in text
    assert "margin at completion 40%." in text
    assert "| Technical architect | @\u2060tara | 10 | 2,000 EUR |" in text  # named, no mention


def test_time_logged_by_someone_outside_the_rate_card_leaves_the_cost_open():
    variables = {"budget_hours": "100", "rate_card": "pm=100", **PEOPLE}
    budget = engagement_budget(
        variables, [hours("pam", 1), hours("tara", 1)], 0, SPAN, date(2026, 1, 11), 10
    )
    assert budget is not None
    assert budget.cost_spent is None
