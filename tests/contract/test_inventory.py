"""The inventory keeps up with the bot: every GitLab path written in the adapter (and the demo)
has an entry, so a new call cannot skip the contract tests unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

from .inventory import REST, UNCHECKED

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "bot" / "gitlab").glob("*.py")), ROOT / "bot" / "demo.py"]
LITERAL = re.compile(r'f?"(\{self\._base\}[^"]*|/(?:projects|groups|user|version)[^"]*)"')


def normal(path: str) -> str:
    """`/projects/{pid}/issues/{iid}` and `/projects/:id/issues/:issue_iid` alike."""
    path = path.replace("{self._base}", "/projects/{id}").split("?")[0]
    return re.sub(r"\{[^}]*\}|:\w+", ":x", path)


def paths_in_the_bot() -> set[str]:
    return {
        normal(found[1]) for source in SOURCES for found in LITERAL.finditer(source.read_text())
    }


def test_every_path_the_bot_writes_is_in_the_inventory():
    listed = {normal(entry.path) for entry in REST} | {normal(path) for path in UNCHECKED}
    assert paths_in_the_bot() - listed == set()


def test_the_scan_finds_the_calls_it_is_meant_to_guard():
    found = paths_in_the_bot()
    assert {"/projects/:x/issues/:x/notes/:x/award_emoji", "/groups/:x/epics", "/user"} <= found
