"""`extends`: a playbook builds on one or more skeletons.

Merge rule, applied recursively from the first parent to the child:
- mappings deep-merge; for the same key the child's value wins;
- lists whose items are all mappings with a `key` merge by key: a child item with a known key
  is deep-merged into the parent's item in place, a new key is appended, and an item with
  `omit: true` removes the parent's item;
- any other list, and any scalar, is replaced by the child's value;
- `extends` itself is never inherited; a file reached again through its own chain is an error.

A parent is a file relative to the child (`_psdm-base.yml`, `../shared/base.yml`), or a
playbook by name (`tool-adoption`): a shipped one or one the service's settings list, so a
team's own playbook stays a short file of overrides and additions that follows each release.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.playbook.problems import Problem
from bot.playbook.source import LocDict, LocList, Pos, read_yaml


def _keyed(items: Any) -> bool:
    return isinstance(items, list) and all(
        isinstance(item, dict) and isinstance(item.get("key"), str) for item in items
    )


def _merge_lists(base: LocList, child: LocList) -> LocList:
    merged = LocList(child.pos)
    merged.extend(base)
    merged.item_pos.extend(base.item_pos)
    index = {item["key"]: i for i, item in enumerate(merged)}
    dropped: set[int] = set()
    for item, pos in zip(child, child.item_pos, strict=True):
        at = index.get(item["key"])
        if item.get("omit") is True:
            if at is not None:
                dropped.add(at)
            continue
        if at is None:
            index[item["key"]] = len(merged)
            merged.append(item)
            merged.item_pos.append(pos)
        else:
            merged[at] = merge(merged[at], item)
            merged.item_pos[at] = pos
    kept = LocList(child.pos)
    for i, (item, pos) in enumerate(zip(merged, merged.item_pos, strict=True)):
        if i not in dropped:
            kept.append(item)
            kept.item_pos.append(pos)
    return kept


def merge(base: Any, child: Any) -> Any:
    """Merge `child` over `base` by the rule in this module's docstring."""
    if isinstance(base, LocDict) and isinstance(child, LocDict):
        merged = LocDict(child.pos)
        for key in base:
            merged[key] = base[key]
            merged.key_pos[key] = base.key_pos[key]
            merged.value_pos[key] = base.value_pos[key]
        for key in child:
            merged[key] = merge(base[key], child[key]) if key in base else child[key]
            merged.key_pos[key] = child.key_pos[key]
            merged.value_pos[key] = child.value_pos[key]
        return merged
    if isinstance(base, LocList) and isinstance(child, LocList) and _keyed(base) and _keyed(child):
        return _merge_lists(base, child)
    return child


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parents(tree: LocDict) -> list[tuple[str, Pos]]:
    value = tree.get("extends")
    if value is None:
        return []
    pos = tree.value_pos["extends"]
    if isinstance(value, str):
        return [(value, pos)]
    if isinstance(value, LocList) and all(isinstance(v, str) for v in value):
        return list(zip(value, value.item_pos, strict=True))
    return []  # the model reports the wrong type


SECTIONS = ("labels", "timeboxes", "phases", "epics", "issues", "boards", "templates")


def duplicate_item_keys(tree: LocDict) -> list[Problem]:
    """Two items with the same `key` in one section of one file."""
    problems = []
    for section in SECTIONS:
        items = tree.get(section)
        if not isinstance(items, LocList):
            continue
        seen: dict[str, Pos] = {}
        for item, pos in zip(items, items.item_pos, strict=True):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key in seen:
                at = item.value_pos["key"] if isinstance(item, LocDict) else pos
                first = seen[key].line
                problems.append(
                    at.problem(f"duplicate key '{key}' in {section} (first at line {first})")
                )
            else:
                seen[key] = pos
    return problems


def is_name(ref: str) -> bool:
    """`tool-adoption` names a playbook; `base.yml` or `../x/base.yml` is a file."""
    return "/" not in ref and "\\" not in ref and not ref.endswith((".yml", ".yaml"))


def _parent(
    ref: str, here: Path, library: Mapping[str, Path], pos: Pos
) -> tuple[Path | None, Problem | None]:
    """The file a parent reference points at, or the problem that says why there is none."""
    if is_name(ref):
        found = library.get(ref)
        if found is not None and found.is_file():
            return found.resolve(), None
        names = sorted(name for name in library if not name.startswith("_"))
        close = difflib.get_close_matches(ref, names, n=1)
        hint = f": did you mean '{close[0]}'?" if close else f" (known: {', '.join(names)})"
        return None, pos.problem(f"extends '{ref}': no such playbook{hint}")
    parent = (here.parent / ref).resolve()
    if not parent.is_file():
        return None, pos.problem(f"extends '{ref}': no such file {_display(parent)}")
    return parent, None


def resolve(
    path: Path, chain: tuple[Path, ...] = (), library: Mapping[str, Path] | None = None
) -> tuple[Any, list[Problem]]:
    """Read `path` and everything it extends; return the merged tree and every problem met.

    `library` maps playbook names to files, for parents given by name."""
    tree, problems = read_yaml(path, _display(path))
    if not isinstance(tree, LocDict):
        return tree, problems
    problems.extend(duplicate_item_keys(tree))
    merged: Any = None
    chain = (*chain, path.resolve())
    for ref, pos in _parents(tree):
        parent, missing = _parent(ref, path, library or {}, pos)
        if parent is None:
            problems.append(missing or pos.problem(f"extends '{ref}': not found"))
            continue
        if parent in chain:
            cycle = " -> ".join(p.name for p in (*chain, parent))
            problems.append(pos.problem(f"extends cycle: {cycle}"))
            continue
        parent_tree, parent_problems = resolve(parent, chain, library)
        problems.extend(parent_problems)
        if isinstance(parent_tree, LocDict):
            parent_tree.pop("extends", None)
            merged = parent_tree if merged is None else merge(merged, parent_tree)
    if merged is not None:
        tree = merge(merged, tree)
    return tree, problems
