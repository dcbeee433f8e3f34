"""A loaded playbook: the merged file tree (for positions) and its validated model."""

from __future__ import annotations

import copy
import difflib
import os
import re
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

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
        close = difflib.get_close_matches(name, catalog.names, n=1) if len(name) <= 64 else []
        hint = f"did you mean '{close[0]}'? " if close else ""
        message = f"no such playbook ({hint}available: {known})"
        raise PlaybookError([Problem(shown, 0, 0, message)])
    playbook, problems = read_playbook(path, catalog.files)
    if problems or playbook is None:
        raise PlaybookError([_named_problem(p, name, path) for p in problems])
    return playbook


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (in a list, a dict, an Optional, a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the playbook's model allows in the mapping at `loc`."""
    model: type[BaseModel] | None = PlaybookSpec
    for step in loc:
        if model is None:
            return []
        if isinstance(step, str):
            field = model.model_fields.get(step)
            model = _model_in(field.annotation) if field else None
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _closest(loc: tuple[Any, ...]) -> str | None:
    close = difflib.get_close_matches(str(loc[-1]), _keys_at(loc[:-1]), n=1, cutoff=0.7)
    return close[0] if close else None


def _unknown_key(loc: tuple[Any, ...]) -> str:
    close = _closest(loc)
    return f"unknown key '{loc[-1]}'" + (f": did you mean '{close}'?" if close else "")


def _where(tree: Any, loc: tuple[Any, ...]) -> str:
    """`labels[raid-risk].color`: list items by their key (the merged list's index would
    mean nothing in the person's own file)."""
    parts: list[str] = []
    node = tree
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            node = node[step]
            key = node.get("key") if isinstance(node, dict) else None
            parts.append(f"[{key}]" if isinstance(key, str) else f"[{step}]")
        elif isinstance(step, str):
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(f".{step}" if parts else step)
    return "".join(parts)


def _pydantic_problems(
    tree: LocDict, error: ValidationError, reported: set[tuple[Any, ...]]
) -> list[Problem]:
    """One problem per mistake: a value refused once and pruned is not reported again as
    missing in the next round (an invalid colour is one mistake, not two)."""
    problems = []
    errors = error.errors()
    misspelt = {
        (tuple(e["loc"][:-1]), _closest(e["loc"])) for e in errors if e["type"] == "extra_forbidden"
    }
    for item in errors:
        loc = tuple(item["loc"])
        if item["type"] == "missing" and (loc[:-1], loc[-1]) in misspelt:
            continue  # `nmae` for `name`: one mistake, told once (as the unknown key)
        if loc in reported:
            continue
        reported.add(loc)
        kind = item["type"]
        pos = locate(tree, loc, at_key=kind == "extra_forbidden") or tree.pos
        where = _where(tree, loc)
        if kind == "extra_forbidden":
            message = _unknown_key(loc)
        elif kind == "missing":
            message = f"missing required key '{loc[-1]}'"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "color":
            message = f"{where}: {item['input']!r} is no colour: write #RRGGBB, e.g. #1F75CB"
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
    reported: set[tuple[Any, ...]] = set()
    working = copy.deepcopy(tree)
    for _ in range(MAX_PRUNE_ROUNDS):
        try:
            return PlaybookSpec.model_validate(dict(working)), problems
        except ValidationError as exc:
            problems.extend(_pydantic_problems(tree, exc, reported))
            pruned = [_prune(working, tuple(err["loc"])) for err in exc.errors()]
            if not any(pruned):
                break
    return None, problems


def library(configured: Mapping[str, Path] | None = None) -> dict[str, Path]:
    """Every playbook a file may extend by name: the shipped ones, skeletons included, and the
    configured ones."""
    found = {p.stem: p for p in playbooks_dir().glob("*.yml")}
    return {**found, **(configured or {})}


def read_playbook(
    ref: str | Path, configured: Mapping[str, Path] | None = None
) -> tuple[Playbook | None, list[Problem]]:
    """Load, merge and check one playbook; never raises for mistakes in the file."""
    path = playbook_path(ref)
    if not path.is_file():
        known = shipped_playbooks()
        close = difflib.get_close_matches(str(ref), known, n=1) if isinstance(ref, str) else []
        hint = f"did you mean '{close[0]}'? " if close else ""
        return None, [
            Problem(str(ref), 0, 0, f"no such playbook ({hint}shipped: {', '.join(known)})")
        ]
    tree, problems = resolve(path, library=library(configured))
    if any(p.message.startswith(("extends '", "extends cycle")) for p in problems):
        return None, problems  # without its parent, the rest of the file cannot be judged
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
