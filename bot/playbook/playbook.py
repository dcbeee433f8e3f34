"""A loaded playbook: the merged file tree (for positions) and its validated model."""

from __future__ import annotations

import copy
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.playbook.checks import check_spec
from bot.playbook.extends import resolve
from bot.playbook.model import PlaybookSpec
from bot.playbook.problems import PlaybookError, Problem
from bot.playbook.source import LocDict, Pos, locate

PLAYBOOKS_ENV = "PSDM_PLAYBOOKS"
MAX_PRUNE_ROUNDS = 5
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
"""A playbook name as comments and events may give it: no `/`, no leading dot, short."""


@dataclass(frozen=True)
class Playbook:
    name: str
    path: Path
    spec: PlaybookSpec
    tree: LocDict

    @property
    def display(self) -> str:
        return self.tree.pos.file

    def position(self, path: tuple[Any, ...], *, at_key: bool = False) -> Pos:
        return locate(self.tree, path, at_key=at_key) or self.tree.pos


def playbooks_dir() -> Path:
    """Where shipped playbooks live: $PSDM_PLAYBOOKS, the source checkout, or the install."""
    configured = os.environ.get(PLAYBOOKS_ENV)
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[2] / "playbooks"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "psdm-bot" / "playbooks"


def shipped_playbooks() -> list[str]:
    """Names of the shipped playbooks; skeletons (names starting with `_`) are not listed."""
    return sorted(p.stem for p in playbooks_dir().glob("*.yml") if not p.name.startswith("_"))


def playbook_path(ref: str | Path) -> Path:
    """A shipped playbook's name, or a path to a playbook file."""
    if isinstance(ref, str) and "/" not in ref and not ref.endswith((".yml", ".yaml")):
        return playbooks_dir() / f"{ref}.yml"
    return Path(ref)


def is_playbook_name(text: str) -> bool:
    """Whether `text` can name a playbook (it may still name none that is configured)."""
    return bool(NAME.match(text)) and not text.endswith((".yml", ".yaml")) and ".." not in text


@dataclass(frozen=True)
class Catalog:
    """The playbooks a service may use, by name; comments and events choose only among these.

    Shipped ones (the directory $PSDM_PLAYBOOKS or the install), plus the files the service's
    configuration names. A path never comes from a comment or an event: only the CLI and CI
    jobs load a playbook by path (`load_playbook`).
    """

    files: Mapping[str, Path]

    @property
    def names(self) -> list[str]:
        return sorted(self.files)

    def path(self, name: str) -> Path | None:
        if not is_playbook_name(name):
            return None
        return self.files.get(name)


def playbook_catalog(configured: Mapping[str, str | Path] | None = None) -> Catalog:
    """The shipped playbooks (skeletons excluded) and the configured files, by name."""
    files: dict[str, Path] = {
        p.stem: p for p in playbooks_dir().glob("*.yml") if not p.name.startswith("_")
    }
    for name, path in (configured or {}).items():
        if not is_playbook_name(name):
            raise ValueError(f"{name!r} is no playbook name (lower-case letters, digits, -_.)")
        files[name] = Path(path)
    return Catalog(files)


def _named_problem(problem: Problem, name: str, path: Path) -> Problem:
    """The problem as a comment may show it: the playbook's name instead of a server path."""
    shown = name if Path(problem.file).name == path.name else Path(problem.file).name
    return Problem(shown, problem.line, problem.col, problem.message)


def load_named_playbook(name: str, catalog: Catalog) -> Playbook:
    """A configured playbook by name, for comments and events: nothing else is read.

    A name the catalog does not hold (a path, `..`, an unknown name) is refused before any
    file is touched; problems name the playbook, never a file on the bot's host.
    """
    path = catalog.path(name)
    if path is None:
        shown = name if len(name) <= 64 else name[:63] + "…"
        known = ", ".join(catalog.names) or "none"
        raise PlaybookError([Problem(shown, 0, 0, f"no such playbook (available: {known})")])
    playbook, problems = read_playbook(path)
    if problems or playbook is None:
        raise PlaybookError([_named_problem(p, name, path) for p in problems])
    return playbook


def _pydantic_problems(tree: LocDict, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        kind = item["type"]
        pos = locate(tree, loc, at_key=kind == "extra_forbidden") or tree.pos
        where = ".".join(str(p) for p in loc if isinstance(p, str | int))
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        elif kind == "missing":
            message = f"missing required key '{loc[-1]}'"
        else:
            message = f"{where}: {item['msg']}"
        problems.append(pos.problem(message))
    return problems


def _prune(tree: Any, loc: tuple[Any, ...]) -> bool:
    """Remove the value at `loc` (or the list item holding it); False when nothing matched."""
    parent, steps = tree, [step for step in loc if isinstance(step, str | int)]
    for depth, step in enumerate(steps):
        last = depth == len(steps) - 1
        if isinstance(parent, dict) and step in parent:
            if last:
                del parent[step]
                return True
            child = parent[step]
        elif isinstance(parent, list) and isinstance(step, int) and step < len(parent):
            child = parent[step]
            if last or not isinstance(child, dict):
                del parent[step]
                return True
        else:
            return False
        if (
            isinstance(parent, list)
            and isinstance(child, dict)
            and steps[depth + 1 :]
            and (steps[depth + 1] not in child)
            and isinstance(step, int)
        ):
            del parent[step]  # a required field is missing: drop the whole item
            return True
        parent = child
    return False


def _validate_shape(tree: LocDict) -> tuple[PlaybookSpec | None, list[Problem]]:
    """Validate the model; on errors report them, prune the bad values and try again."""
    problems: list[Problem] = []
    working = copy.deepcopy(tree)
    for _ in range(MAX_PRUNE_ROUNDS):
        try:
            return PlaybookSpec.model_validate(dict(working)), problems
        except ValidationError as exc:
            problems.extend(_pydantic_problems(tree, exc))
            pruned = [_prune(working, tuple(err["loc"])) for err in exc.errors()]
            if not any(pruned):
                break
    return None, problems


def read_playbook(ref: str | Path) -> tuple[Playbook | None, list[Problem]]:
    """Load, merge and check one playbook; never raises for mistakes in the file."""
    path = playbook_path(ref)
    if not path.is_file():
        known = ", ".join(shipped_playbooks())
        return None, [Problem(str(ref), 0, 0, f"no such playbook (shipped: {known})")]
    tree, problems = resolve(path)
    if not isinstance(tree, LocDict):
        if tree is not None:
            problems.append(Problem(str(path), 1, 1, "a playbook must be a YAML mapping"))
        return None, problems
    spec, shape_problems = _validate_shape(tree)
    problems.extend(shape_problems)
    if spec is None:
        return None, problems
    playbook = Playbook(name=spec.name, path=path, spec=spec, tree=tree)
    problems.extend(check_spec(playbook))
    return playbook, problems


def load_playbook(ref: str | Path) -> Playbook:
    """A shipped playbook by name, or a playbook file; PlaybookError lists every mistake."""
    playbook, problems = read_playbook(ref)
    if problems or playbook is None:
        raise PlaybookError(problems)
    return playbook
