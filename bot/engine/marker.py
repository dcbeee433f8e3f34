"""The ownership marker: a hidden HTML comment the bot appends to what it writes.

`<!-- psdm-bot key=issue:sprint-3/retrospective digest=title:1a2b3c4d,labels:5e6f7a8b -->`
`<!-- psdm-bot key=epic:discovery project=123 digest=title:1a2b3c4d -->`

The key finds the object again after a person renames it; the digest holds, per field, a
short hash of the value the bot last wrote, so a later plan can tell a field a person edited
(live value no longer matches its hash) from one the bot may still update. An object that lives
outside the engagement's project (a group epic, shared by every project of the group) also
names the project it belongs to, by numeric id, so another engagement in the group leaves it be.
Markers written before the project was recorded have none and still parse.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_PATTERN = re.compile(
    r"\s*<!-- psdm-bot key=(?P<key>\S+)(?: project=(?P<project>\d+))?(?: digest=(?P<digest>\S*))?"
    r" -->\s*"
)


def fingerprint(value: object) -> str:
    """A short, stable hash of a field value (dates and tuples are normalised first)."""
    canonical = json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def _normalise(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_normalise(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Marker:
    key: str
    digest: Mapping[str, str] = field(default_factory=dict)
    project: int | None = None
    """The engagement's project id, on objects that live outside that project."""

    @classmethod
    def of(cls, key: str, written: Mapping[str, object], project: int | None = None) -> Marker:
        """The marker recording that the bot wrote these field values (for `project`)."""
        return cls(key, {name: fingerprint(value) for name, value in written.items()}, project)

    def belongs_to(self, project: int) -> bool:
        """False only when the marker names another project's engagement."""
        return self.project is None or self.project == project

    def wrote(self, name: str, value: object) -> bool:
        """Whether `value` is what the bot last wrote into field `name`."""
        return self.digest.get(name) == fingerprint(value)

    def render(self) -> str:
        digest = ",".join(f"{name}:{value}" for name, value in sorted(self.digest.items()))
        scope = f" project={self.project}" if self.project is not None else ""
        return f"<!-- psdm-bot key={self.key}{scope} digest={digest} -->"


def parse(description: str | None) -> tuple[str, Marker | None]:
    """Split a live description into the person-visible text and the bot's marker, if any."""
    text = description or ""
    found = _PATTERN.search(text)
    if not found:
        return text.strip(), None
    digest: dict[str, str] = {}
    for pair in filter(None, (found["digest"] or "").split(",")):
        name, _, value = pair.partition(":")
        digest[name] = value
    visible = "\n\n".join(part for part in (text[: found.start()], text[found.end() :]) if part)
    project = int(found["project"]) if found["project"] else None
    return visible.strip(), Marker(found["key"], digest, project)


def with_marker(text: str, marker: Marker) -> str:
    """The description to write: the visible text, a blank line, then the marker."""
    return f"{text.strip()}\n\n{marker.render()}" if text.strip() else marker.render()
