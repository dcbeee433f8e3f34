"""The engagement's budget, burned by GitLab's own time tracking.

The statement of work gives a budget in hours (`budget_hours`) and, optionally, its value
(`budget_value`, in `currency`), a rate card by role (`rate_card`: `pm=180, ta=220, pse=160`)
and the contract type (`contract_type`: `fixed_fee` or `time_and_materials`). Burn is the time
people logged on the engagement's issues (`/spend`, GitLab's timelogs), each person counted
under the role the engagement's variables give them (`bot/domain/roles.py`). The estimate at
completion scales the burn by how much of the work is done; a warning is raised when the burn
runs ahead of the progress or of the calendar by more than `budget_warning_margin` points.

Everything here is internal to the PS team: views for the customer leave it out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.domain.roles import BY_KEY, ROLES, UnknownRole, role, role_map

BUDGET_HOURS = "budget_hours"
BUDGET_VALUE = "budget_value"
CURRENCY = "currency"
CONTRACT = "contract_type"
RATE_CARD = "rate_card"
MARGIN = "budget_warning_margin"
DEFAULT_MARGIN = 10
UNMAPPED = "unmapped"
"""Time logged by someone the engagement names in no role."""

Contract = Literal["fixed_fee", "time_and_materials"]
CONTRACTS: tuple[Contract, ...] = ("fixed_fee", "time_and_materials")


@dataclass(frozen=True)
class Timelog:
    """One entry of time spent as GitLab records it (negative entries subtract)."""

    username: str
    issue_iid: int | None
    seconds: int
    spent_on: date | None = None


@dataclass(frozen=True)
class BudgetTerms:
    """What the statement of work says, read from the engagement's variables."""

    hours: float
    value: float | None = None
    currency: str = "USD"
    contract: Contract = "fixed_fee"
    rates: Mapping[str, float] | None = None
    """Hourly rate by role key; None without a rate card."""
    margin: int = DEFAULT_MARGIN
    problems: tuple[str, ...] = ()
    """Parts of the variables that could not be read (shown, never guessed)."""


def _number(raw: object) -> float | None:
    try:
        value = float(str(raw).replace(",", "").replace("_", "").strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def rate_card(text: str) -> tuple[dict[str, float], tuple[str, ...]]:
    """`pm=180, ta=220` (role keys or aliases) into rates by role key, and what was unreadable."""
    rates: dict[str, float] = {}
    problems: list[str] = []
    for part in re.split(r"[,;\n]", text):
        entry = part.strip()
        if not entry:
            continue
        name, sep, amount = entry.partition("=") if "=" in entry else entry.partition(":")
        rate = _number(amount) if sep else None
        try:
            key = role(name).key
        except UnknownRole:
            problems.append(f"rate card: {name.strip()!r} is no role")
            continue
        if rate is None or rate < 0:
            problems.append(f"rate card: {entry!r} has no rate (write {key}=150)")
            continue
        rates[key] = rate
    return rates, tuple(problems)


def budget_terms(variables: Mapping[str, object]) -> BudgetTerms | None:
    """The budget the variables state; None when no positive `budget_hours` is given."""
    hours = _number(variables.get(BUDGET_HOURS) or "")
    if hours is None or hours <= 0:
        return None
    problems: list[str] = []
    value = _number(variables.get(BUDGET_VALUE) or "")
    if variables.get(BUDGET_VALUE) not in (None, "", 0) and (value is None or value < 0):
        problems.append(f"budget_value {variables.get(BUDGET_VALUE)!r} is no amount")
        value = None
    contract_raw = str(variables.get(CONTRACT) or "fixed_fee").strip().lower()
    contract: Contract = "fixed_fee"
    if contract_raw in ("time_and_materials", "t&m", "tm"):
        contract = "time_and_materials"
    elif contract_raw not in ("fixed_fee", "fixed"):
        problems.append(f"contract_type {contract_raw!r}: one of {', '.join(CONTRACTS)}")
    rates: dict[str, float] | None = None
    if str(variables.get(RATE_CARD) or "").strip():
        rates, unread = rate_card(str(variables.get(RATE_CARD)))
        problems += unread
    margin = _number(variables.get(MARGIN) if variables.get(MARGIN) is not None else "")
    return BudgetTerms(
        hours=hours,
        value=value or None,
        currency=str(variables.get(CURRENCY) or "USD").strip()[:8] or "USD",
        contract=contract,
        rates=rates,
        margin=int(margin) if margin is not None and 0 <= margin <= 100 else DEFAULT_MARGIN,
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class RoleBurn:
    role: str
    """A role key, or `unmapped`."""
    hours: float
    people: tuple[str, ...]
    cost: float | None = None

    @property
    def title(self) -> str:
        return BY_KEY[self.role].title if self.role in BY_KEY else "Not in any role"


@dataclass(frozen=True)
class Budget:
    """Burn, estimate at completion and warnings of one engagement on one day."""

    terms: BudgetTerms
    spent_hours: float
    by_role: tuple[RoleBurn, ...]
    elapsed_percent: int
    complete_percent: int | None
    """How much of the work is done (None when nothing is counted yet)."""
    warnings: tuple[str, ...] = ()

    @property
    def burned_percent(self) -> int:
        return round(100 * self.spent_hours / self.terms.hours)

    @property
    def remaining_hours(self) -> float:
        return round(self.terms.hours - self.spent_hours, 1)

    @property
    def estimate_at_completion(self) -> float | None:
        """Hours the whole engagement will take at the burn so far per point of progress."""
        if not self.complete_percent:
            return None
        return round(self.spent_hours * 100 / self.complete_percent, 1)

    @property
    def cost_spent(self) -> float | None:
        """Cost of the time logged at the rate card (None without one)."""
        costs = [r.cost for r in self.by_role]
        if self.terms.rates is None or any(c is None for c in costs):
            return None
        return round(sum(c for c in costs if c is not None), 2)

    @property
    def margin_percent(self) -> int | None:
        """On a fixed fee: how much of the value is left after the cost estimated at
        completion (the cost so far scaled like the hours)."""
        eac = self.estimate_at_completion
        cost = self.cost_spent
        if self.terms.contract != "fixed_fee" or not self.terms.value or eac is None:
            return None
        if cost is None or not self.spent_hours:
            return None
        cost_at_completion = cost * eac / self.spent_hours
        return round(100 * (self.terms.value - cost_at_completion) / self.terms.value)

    def text(self) -> str:
        """One line: `Budget: 120 of 400 hours spent (30%), 25% of the time elapsed, ...`."""
        line = (
            f"Budget: {self.spent_hours:g} of {self.terms.hours:g} hours spent "
            f"({self.burned_percent}%), {self.elapsed_percent}% of the time elapsed"
        )
        if self.complete_percent is not None:
            line += f", {self.complete_percent}% of the work done"
        eac = self.estimate_at_completion
        if eac is not None:
            line += f"; estimate at completion {eac:g} hours"
        return line + "."

    def lines(self) -> list[str]:
        """The budget section of a report (Markdown): the line, warnings, burn by role."""
        out = [self.text()]
        money = self.money()
        if money:
            out += ["", money]
        out += [f"- **Warning:** {w}" for w in self.warnings]
        if self.by_role:
            out += ["", "| role | people | hours | cost |", "|---|---|---:|---:|"]
            for part in self.by_role:
                cost = f"{part.cost:,.0f} {self.terms.currency}" if part.cost is not None else ""
                names = ", ".join(f"@\u2060{p}" for p in part.people)  # named, not mentioned
                out.append(f"| {part.title} | {names} | {part.hours:g} | {cost} |")
        out += [f"- Budget settings: {p}" for p in self.terms.problems]
        return out

    def money(self) -> str:
        """The contract, the cost so far at the rate card and the margin at completion."""
        terms, parts = self.terms, []
        kind = "fixed fee" if terms.contract == "fixed_fee" else "time and materials"
        if terms.value:
            parts.append(f"Contract: {kind}, {terms.value:,.0f} {terms.currency}")
        else:
            parts.append(f"Contract: {kind}")
        cost = self.cost_spent
        if cost is not None:
            parts.append(f"cost so far {cost:,.0f} {terms.currency} at the rate card")
        if self.margin_percent is not None:
            parts.append(f"margin at completion {self.margin_percent}%")
        return "; ".join(parts) + "."


def _role_of(variables: Mapping[str, object]) -> dict[str, str]:
    """Each named person's role (the first the variables give them, in the roles' order)."""
    found: dict[str, str] = {}
    for key, names in role_map(variables).items():
        for name in names:
            found.setdefault(name.lower(), key)
    return found


def burn_by_role(
    variables: Mapping[str, object], logs: Sequence[Timelog], rates: Mapping[str, float] | None
) -> tuple[RoleBurn, ...]:
    """Hours per role (in the roles' order, `unmapped` last), with their cost at the rates."""
    roles = _role_of(variables)
    seconds: dict[str, int] = {}
    people: dict[str, dict[str, None]] = {}
    for log in logs:
        key = roles.get(log.username.lower(), UNMAPPED)
        seconds[key] = seconds.get(key, 0) + log.seconds
        people.setdefault(key, {})[log.username] = None
    order = [r.key for r in ROLES] + [UNMAPPED]
    found = []
    for key in order:
        if key not in seconds:
            continue
        hours = round(seconds[key] / 3600, 1)
        cost = None
        if rates is not None and key in rates:
            cost = round(hours * rates[key], 2)
        found.append(RoleBurn(key, hours, tuple(people[key]), cost))
    return tuple(found)


def _elapsed(span: tuple[date, date], today: date) -> int:
    start, end = span
    total = (end - start).days + 1
    passed = min(max((today - start).days + 1, 0), total)
    return round(100 * passed / total) if total > 0 else 0


def budget_warnings(
    terms: BudgetTerms, burned: int, elapsed: int, complete: int | None, eac: float | None
) -> tuple[str, ...]:
    """Where the burn runs ahead of the work or the calendar by more than the margin."""
    found = []
    if complete is not None and burned - complete > terms.margin:
        found.append(
            f"burn ({burned}%) runs {burned - complete} points ahead of the work done ({complete}%)"
        )
    if burned - elapsed > terms.margin:
        found.append(
            f"burn ({burned}%) runs {burned - elapsed} points ahead of the calendar "
            f"({elapsed}% elapsed)"
        )
    if eac is not None and eac > terms.hours * (1 + terms.margin / 100):
        over = round(eac - terms.hours)
        what = "a change request" if terms.contract == "time_and_materials" else "the margin"
        found.append(f"estimate at completion exceeds the budget by {over} hours (see {what})")
    return tuple(found)


def engagement_budget(
    variables: Mapping[str, object],
    logs: Sequence[Timelog],
    spent_seconds: int,
    span: tuple[date, date] | None,
    today: date,
    complete_percent: int | None,
) -> Budget | None:
    """The budget of an engagement with these variables, None when it states none.

    `logs` are the timelogs (who logged what); `spent_seconds` is the total the issues report,
    used when the timelogs could not be read (an instance without GraphQL timelogs).
    """
    terms = budget_terms(variables)
    if terms is None:
        return None
    total = sum(log.seconds for log in logs) if logs else spent_seconds
    spent_hours = round(total / 3600, 1)
    by_role = burn_by_role(variables, logs, terms.rates)
    elapsed = _elapsed(span, today) if span else 0
    burned = round(100 * spent_hours / terms.hours)
    eac = round(spent_hours * 100 / complete_percent, 1) if complete_percent else None
    warnings = budget_warnings(terms, burned, elapsed, complete_percent, eac)
    return Budget(terms, spent_hours, by_role, elapsed, complete_percent, warnings)
