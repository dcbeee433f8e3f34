"""Variables: reading `--var` strings into typed values and checking declared defaults."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.playbook.model import VariableSpec

START_DATE = "start_date"
SPRINT_WEEKS = "sprint_weeks"
CADENCE_RANGE = (1, 4)

_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def parse_date(raw: object) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(f"invalid date '{raw}': expected YYYY-MM-DD") from None


def coerce(name: str, spec: VariableSpec, raw: object) -> Any:
    """The typed value of `raw` for variable `name`; ValueError says what is wrong."""
    if spec.type == "integer":
        if isinstance(raw, bool):
            raise ValueError(f"variable '{name}': expected an integer, got '{raw}'")
        try:
            value: Any = int(str(raw).strip())
        except ValueError:
            raise ValueError(f"variable '{name}': expected an integer, got '{raw}'") from None
        low = spec.min if spec.min is not None else None
        high = spec.max if spec.max is not None else None
        if name == SPRINT_WEEKS:
            low = CADENCE_RANGE[0] if low is None else max(low, CADENCE_RANGE[0])
            high = CADENCE_RANGE[1] if high is None else min(high, CADENCE_RANGE[1])
        if (low is not None and value < low) or (high is not None and value > high):
            what = "sprint length (cadence)" if name == SPRINT_WEEKS else f"variable '{name}'"
            raise ValueError(f"{what} must be between {low} and {high}, got {value}")
        return value
    if spec.type == "date":
        try:
            return parse_date(raw)
        except ValueError as exc:
            raise ValueError(f"variable '{name}': {exc}") from None
    if spec.type == "boolean":
        if isinstance(raw, bool):
            return raw
        value = _BOOLEANS.get(str(raw).strip().lower())
        if value is None:
            raise ValueError(f"variable '{name}': expected true or false, got '{raw}'")
        return value
    text = str(raw)
    if spec.type == "choice" and text not in (spec.choices or []):
        allowed = ", ".join(spec.choices or [])
        raise ValueError(f"variable '{name}': '{text}' is not one of: {allowed}")
    return text


def sample_value(spec: VariableSpec) -> Any:
    """A stand-in for a required variable when a playbook is checked without values."""
    if spec.type == "integer":
        return spec.min if spec.min is not None else 1
    if spec.type == "date":
        return date(2026, 1, 6)
    if spec.type == "boolean":
        return False
    if spec.type == "choice":
        return (spec.choices or [""])[0]
    return "Sample"


def to_plain(value: Any) -> Any:
    """JSON-friendly form of a typed value (dates as YYYY-MM-DD)."""
    return value.isoformat() if isinstance(value, date) else value
