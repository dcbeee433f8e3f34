"""What every epic store shares: the `EpicStore` base (an issue's place under its epic, the live
epic as the engine compares it) and, where epics cannot nest, the parent's list of children in
its description and the engagement's scoped label."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import EpicMode, LiveObject
from bot.gitlab.errors import Rejected
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.kinds.labels import LabelStore
from bot.playbook.blueprint import Blueprint

CHILDREN_START = "<!-- psdm-bot children -->"
CHILDREN_END = "<!-- psdm-bot children end -->"
_CHILDREN = re.compile(
    rf"\s*{re.escape(CHILDREN_START)}(?P<body>.*?){re.escape(CHILDREN_END)}\s*", re.DOTALL
)
_REFERENCE = re.compile(r"&(\d+)")
ENGAGEMENT_LABEL = "psdm-engagement::"
"""Prefix of the scoped label that every group epic of one engagement carries where epics
cannot nest (the rest of the name is the project's path)."""


def split_children(description: str | None) -> tuple[str, tuple[int, ...]]:
    """The description without the bot's list of child epics, and the iids that list names."""
    text = description or ""
    found = _CHILDREN.search(text)
    if not found:
        return text, ()
    iids = tuple(dict.fromkeys(int(n) for n in _REFERENCE.findall(found["body"])))
    return (text[: found.start()] + "\n\n" + text[found.end() :]).strip(), iids


def with_children(description: str | None, iids: Iterable[int]) -> str:
    """`description` (its old list removed) ending with the list of `iids`, if any."""
    text = split_children(description)[0]
    lines = "\n".join(f"- &{iid}+" for iid in iids)
    if not lines:
        return text
    return f"{text}\n\n{CHILDREN_START}\n**Phases and workstreams**\n\n{lines}\n{CHILDREN_END}"


class EpicStore:
    """Where one project's epics live, read and written; a subclass per mode."""

    mode: EpicMode
    unsupported: frozenset[str] = frozenset()

    def __init__(self, ctx: ProjectContext, labels: LabelStore) -> None:
        self.ctx = ctx
        self.labels = labels
        self.nested = ctx.capabilities.parent_epics
        """Whether an epic can have a parent epic here (Ultimate); else its parent lists it."""
        self.raw: dict[str, str | None] = {}
        """Each epic's description as read, its list of children included."""
        self.labelled: set[str] = set()
        """Epics that carry the engagement's scoped label already."""

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        raise NotImplementedError

    def owns(self, issue: Mapping[str, Any]) -> bool:
        """Whether this project issue stands for an epic (only on Free)."""
        return False

    def parent_of(self, issue: Mapping[str, Any]) -> str | None:
        epic = issue.get("epic")
        return str(epic["iid"]) if epic else None

    def issue_fields(self, parent: str) -> dict[str, Any]:
        """Issue create/update attributes that put the issue under epic `parent`."""
        return {}

    def link(self, issue_iid: int, parent: str) -> None:
        """Put an existing issue under epic `parent` when the issue call itself could not."""

    def create_linked(self, op: Operation, parent: str) -> tuple[int, int] | None:
        """Create the issue of `op` already under epic `parent` in one request, as (iid, id);
        None when the issue create call itself puts it there (or cannot)."""
        return None

    def write(self, op: Operation) -> str:
        raise NotImplementedError

    # -- where epics cannot nest: the parent lists its children ---------------------------

    def epic_object(
        self, iid: int, title: str, description: str | None, labels: Iterable[str], parent: object
    ) -> LiveObject:
        """The live epic: its real parent and, where epics cannot nest, the children its
        description lists (the list itself is not part of the description the engine sees)."""
        self.raw[str(iid)] = description
        labels = list(labels)
        if any(label.startswith(ENGAGEMENT_LABEL) for label in labels):
            self.labelled.add(str(iid))
        visible, children = split_children(description)
        text, marker = parse(visible)
        fields: dict[str, object] = {
            "title": title,
            "description": text,
            "labels": tuple(sorted(lb for lb in labels if not lb.startswith(ENGAGEMENT_LABEL))),
            "parent": str(parent) if parent else None,
        }
        if not self.nested:
            fields["children"] = tuple(str(child) for child in children)
        return LiveObject("epic", str(iid), title, fields, marker)

    def rest_epic(self, epic: Mapping[str, Any], parent: object) -> LiveObject:
        """`epic_object` of an epic (or Free parent issue) as the REST API answers it."""
        labels = epic.get("labels") or []
        return self.epic_object(epic["iid"], epic["title"], epic.get("description"), labels, parent)

    def engagement_labels(self, ref: str | None = None) -> list[str]:
        """Where epics cannot nest, the engagement's scoped label (made on first use) for a
        new epic or one (`ref`) that lacks it."""
        if self.nested or (ref is not None and str(ref) in self.labelled):
            return []
        name = ENGAGEMENT_LABEL + str(self.ctx.load()["path"])
        self.labels.ensure_in_group(name, "#6699cc", "The epics of one PSDM engagement")
        return [name]

    def description(self, op: Operation) -> str | None:
        """The description to write for `op`, ending with its list of children where epics
        cannot nest; None to leave it alone. The list is compared and updated from what this
        run read, like every other field."""
        if op.op == "create":
            children: object = op.fields.get("children")
        else:
            children = op.changes["children"][1] if "children" in op.changes else None
        if children is None:
            if op.body is None:
                return None
            return with_children(op.body, split_children(self.raw.get(str(op.ref)))[1])
        text = op.body if op.body is not None else self.raw.get(str(op.ref))
        return with_children(text, [self._iid(key) for key in keys_of(children)])

    def _iid(self, key: str) -> int:
        """The iid of epic `key`, or of `epic#iid`, an epic outside the blueprint."""
        ref = key.partition("#")[2] if key.startswith("epic#") else self.ctx.ref(key)
        return int(ref)


class NoEpics(EpicStore):
    """A plan without epics: issues are read and written with no epic, and nothing is asked
    about the instance (where epics would live does not matter)."""

    mode = "none"

    def __init__(self, ctx: ProjectContext, labels: LabelStore) -> None:
        self.ctx = ctx
        self.labels = labels
        self.nested = True
        self.raw = {}
        self.labelled = set()

    def read(self, issues: list[dict[str, Any]], blueprint: Blueprint | None) -> list[LiveObject]:
        return []

    def write(self, op: Operation) -> str:
        raise Rejected(f"{op.key}: this plan was read without epics; run plan again")


def keys_of(value: object) -> tuple[str, ...]:
    """The keys of an operation's field value (a tuple or list of them, or None)."""
    return tuple(str(item) for item in value) if isinstance(value, tuple | list) else ()


def belongs(epic: Mapping[str, Any], project: int) -> bool:
    """Whether a group epic may belong to this project's engagement (not marked for another)."""
    marker = parse(epic.get("description"))[1]
    return marker is None or marker.belongs_to(project)


def made_for(epic: Mapping[str, Any], key: str, project: int) -> bool:
    """Whether this is the group epic the bot created for `key` in this project's engagement."""
    marker = parse(epic.get("description"))[1]
    return marker is not None and marker.key == key and marker.project == project
