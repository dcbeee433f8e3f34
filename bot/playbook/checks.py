"""Checks that need no variable values: variable declarations, series and template names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.playbook.model import ItemSpec, PhaseSpec, VariableSpec
from bot.playbook.templates import TemplateProblem, is_template, names_in
from bot.playbook.variables import CADENCE_RANGE, SPRINT_WEEKS, START_DATE, coerce

if TYPE_CHECKING:
    from bot.playbook.playbook import Playbook
    from bot.playbook.problems import Problem

NOT_TEMPLATES = {
    "each",
    "role",
    "kind",
    "color",
    "omit",
    "once",
    "pilot",
    "confidential",
    "weight",
    "workstream",
}
EXPRESSIONS = {"when", "weeks"}
EARLY = {"week_start"}
LATE = EARLY | {"engagement_weeks", "end_date", "timebox_on", "phase_on"}
PILOT = {"pilot", "pilot_name"}  # outside a pilot phase: pilot 1
BUILTINS = {
    "labels": EARLY,
    "timeboxes": EARLY | PILOT,
    "phases": PILOT,
    "epics": LATE | PILOT,
    "issues": LATE | PILOT | {"timebox"},
    "boards": LATE,
    "templates": EARLY,
}


def _check_variable(pb: Playbook, name: str, spec: VariableSpec) -> list[Problem]:
    at = ("variables", name)
    problems = []
    if spec.choices is not None and spec.type != "choice":
        pos = pb.position((*at, "choices"), at_key=True)
        problems.append(pos.problem(f"variable '{name}': choices need type 'choice'"))
    if spec.type == "choice" and not spec.choices:
        problems.append(pb.position(at).problem(f"variable '{name}': type 'choice' needs choices"))
    if name == SPRINT_WEEKS:
        low, high = CADENCE_RANGE
        for bound in ("min", "max"):
            value = getattr(spec, bound)
            if value is not None and not low <= value <= high:
                pos = pb.position((*at, bound))
                problems.append(
                    pos.problem(f"cadence {bound} {value} is outside {low}-{high} weeks")
                )
    if spec.default is not None:
        try:
            coerce(name, spec, spec.default)
        except ValueError as exc:
            problems.append(pb.position((*at, "default")).problem(f"default: {exc}"))
    return problems


def _check_schedule_variables(pb: Playbook) -> list[Problem]:
    if not pb.spec.timeboxes:
        return []
    problems = []
    for name, kind in ((START_DATE, "date"), (SPRINT_WEEKS, "integer")):
        spec = pb.spec.variables.get(name)
        if spec is None:
            pos = pb.position(("variables",), at_key=True)
            problems.append(pos.problem(f"time-boxes need a variable '{name}' of type {kind}"))
        elif spec.type != kind:
            pos = pb.position(("variables", name, "type"))
            problems.append(pos.problem(f"variable '{name}' must have type {kind}"))
    return problems


def _names_problem(
    pb: Playbook, path: tuple[Any, ...], text: str, allowed: set[str], *, expression: bool
) -> Problem | None:
    try:
        used = names_in(text, expression=expression)
    except TemplateProblem as exc:
        return pb.position(path).problem(str(exc))
    unknown = sorted(used - allowed)
    if unknown:
        listed = ", ".join(f"'{n}'" for n in unknown)
        return pb.position(path).problem(f"undefined template variable {listed}")
    return None


def _check_key(pb: Playbook, path: tuple[Any, ...], key: str, loop: set[str]) -> Problem | None:
    if not is_template(key):
        return None
    problem = _names_problem(pb, path, key, loop, expression=False)
    if problem is None:
        return None
    hint = f"a key may only use its loop value ({', '.join(sorted(loop)) or 'none here'})"
    return pb.position(path).problem(f"{problem.message}: {hint}")


def _strings(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, list):
        return [((*path, i), v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def _check_item(
    pb: Playbook, where: tuple[Any, ...], builtins: set[str], item: ItemSpec | PhaseSpec
) -> list[Problem]:
    loop: set[str] = set()
    problems = []
    each = getattr(item, "each", None)
    if each is not None:
        if each in pb.spec.series:
            loop = {each}
        else:
            declared = ", ".join(sorted(pb.spec.series)) or "none"
            pos = pb.position((*where, "each"))
            problems.append(pos.problem(f"unknown series '{each}' (declared: {declared})"))
    allowed = set(pb.spec.variables) | loop | builtins
    for field, value in item:
        if field in NOT_TEMPLATES:
            continue
        for path, text in _strings(value, (*where, field)):
            if field == "key":
                problem = _check_key(pb, path, text, loop)
            elif field in EXPRESSIONS:
                problem = _names_problem(pb, path, text, allowed, expression=True)
            elif is_template(text):
                problem = _names_problem(pb, path, text, allowed, expression=False)
            else:
                problem = None
            if problem is not None:
                problems.append(problem)
    return problems


def check_spec(pb: Playbook) -> list[Problem]:
    """Every mistake that shows without values for the variables."""
    problems = _check_schedule_variables(pb)
    for name, spec in pb.spec.variables.items():
        problems.extend(_check_variable(pb, name, spec))
    series_names = set(pb.spec.variables) | {"engagement_weeks"}
    for name, count in pb.spec.series.items():
        if isinstance(count, str):
            problem = _names_problem(pb, ("series", name), count, series_names, expression=True)
            if problem is not None:
                problems.append(problem)
    for section, builtins in BUILTINS.items():
        for index, item in enumerate(getattr(pb.spec, section)):
            problems.extend(_check_item(pb, (section, index), builtins, item))
    if pb.spec.weekly_status is not None:
        status = pb.spec.weekly_status
        problems.extend(_check_item(pb, ("weekly_status",), BUILTINS["issues"], status))
    problems.extend(_check_pilots(pb))
    return problems


def _check_pilots(pb: Playbook) -> list[Problem]:
    spec = pb.spec.pilots
    names = set(pb.spec.variables)
    checks = [
        (("pilots", "schedule"), spec.schedule, names, False),
        (("pilots", "names"), spec.names, names, False),
        (("pilots", "name"), spec.name, names | {"pilot"}, False),
    ]
    if isinstance(spec.count, str):
        checks.append((("pilots", "count"), spec.count, names, True))
    problems = []
    for path, text, allowed, expression in checks:
        problem = _names_problem(pb, path, text, allowed, expression=expression)
        if problem is not None:
            problems.append(problem)
    return problems
