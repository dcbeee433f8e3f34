"""Where each planned object was written: the file and line of its item in the playbook or in
a playbook it extends, so a team's short file shows what it adds and what it inherits."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.playbook.playbook import Playbook
from bot.playbook.source import LocDict, LocList, Pos

SECTIONS = {
    "label": ("labels",),
    "milestone": ("timeboxes", "phases"),
    "epic": ("epics", "phases"),
    "issue": ("issues",),
    "board": ("boards",),
    "template": ("templates",),
}
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")

Origin = Callable[[str, str], str | None]
"""(kind, key) -> `file:line`, or None when no item of the playbook is known to make it."""


def _items(tree: LocDict, section: str) -> list[tuple[str, Pos]]:
    items = tree.get(section)
    if not isinstance(items, LocList):
        return []
    found = []
    for item in items:
        if isinstance(item, LocDict) and isinstance(item.get("key"), str):
            found.append((str(item["key"]), item.pos))
    return found


def _matches(template: str, key: str) -> bool:
    if "{" not in template:
        return template == key
    pattern = ".+".join(re.escape(part) for part in _TEMPLATE.split(template))
    return re.fullmatch(pattern, key) is not None


def origins(playbook: Playbook) -> Origin:
    """Look up the item that makes an object, by its kind and its blueprint key."""
    tree = playbook.tree

    def origin(kind: str, key: str) -> str | None:
        short = key.split(":", 1)[-1]
        for section in SECTIONS.get(kind, ()):
            for template, pos in _items(tree, section):
                if _matches(template, short) or _matches(template, f"phase-{short}"):
                    return f"{Path(pos.file).name}:{pos.line}"
        return None

    return origin
