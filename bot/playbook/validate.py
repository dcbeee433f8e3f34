"""`validate`: every mistake in a set of playbooks, found in one pass."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.playbook.playbook import Playbook, read_playbook
from bot.playbook.problems import Problem
from bot.playbook.render import render_blueprint
from bot.playbook.variables import coerce, sample_value

MAX_COMBINATIONS = 16


def sample_variables(pb: Playbook) -> list[dict[str, Any]]:
    """Value sets to render with: every switch both ways, then every integer at its minimum.

    Required variables get sample values. The minimum set catches references to sprint 5
    of an engagement that may have a single sprint.
    """
    base: dict[str, Any] = {}
    switches: list[list[tuple[str, Any]]] = []
    for name, spec in pb.spec.variables.items():
        try:
            usable = spec.default is not None and coerce(name, spec, spec.default) is not None
        except ValueError:
            usable = False
        if not usable:
            base[name] = sample_value(spec)
        if spec.type == "choice" and spec.choices:
            switches.append([(name, choice) for choice in spec.choices])
        elif spec.type == "boolean":
            switches.append([(name, False), (name, True)])
    combos = itertools.islice(itertools.product(*switches), MAX_COMBINATIONS)
    value_sets = [{**base, **dict(combo)} for combo in combos]
    # the product's first sets only vary the last switches: also take every value of every
    # switch at least once
    width = max((len(values) for values in switches), default=0)
    value_sets += [{**base, **dict(vs[i % len(vs)] for vs in switches)} for i in range(width)]
    integers = {n: s for n, s in pb.spec.variables.items() if s.type == "integer"}
    smallest = {name: spec.min for name, spec in integers.items() if spec.min is not None}
    if smallest:
        value_sets.append({**base, **smallest})
        # one step above the minimum: a second pilot, a second sprint, a first wave
        above = {
            name: min(low + 1, integers[name].max or low + 1) for name, low in smallest.items()
        }
        value_sets.append({**base, **above})
    return value_sets


def _step_up(low: int, high: int | None) -> int:
    return low + 1 if high is None else min(low + 1, high)


def validate_playbook(ref: str | Path) -> list[Problem]:
    """Static checks, then a render per sample value set; a position is reported once."""
    playbook, problems = read_playbook(ref)
    if playbook is None:
        return sorted(set(problems))
    seen = {(p.file, p.line, p.col) for p in problems}
    found = set(problems)
    for values in sample_variables(playbook):
        _, rendered = render_blueprint(playbook, values)
        found.update(p for p in rendered if (p.file, p.line, p.col) not in seen)
    return sorted(found)


def validate_paths(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in every playbook given, sorted by file and position."""
    problems: set[Problem] = set()
    for path in paths:
        problems.update(validate_playbook(path))
    return sorted(problems)
