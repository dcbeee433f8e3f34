"""RAID items with substance: an owner, a due date, probability and impact, a mitigation.

`/psdm risk` takes them as `KEY=VALUE` words beside its text, and every RAID issue (made by the
bot, from the RAID log's template, or by hand) keeps them in GitLab's own fields where GitLab
has one (the owner is the assignee, the due date the issue's due date) and in a small table of
its description for the rest. Read back, an item with high impact and no owner or no due date
is flagged, and an item past its due date counts in the engagement's health.

A RAID item that is confidential in GitLab (or labelled `PS Internal`) is the PS team's own:
customer views leave it out.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.domain.effects import CreateIssue, Decision, Outcome
from bot.domain.engagement import ESCALATED, RAID_KINDS, RAID_LOG, RISK, SEVERITY_LABELS
from bot.domain.errors import NotPossible
from bot.domain.model import LiveIssue
from bot.engine.marker import Marker
from bot.playbook.blueprint import Blueprint
from bot.playbook.roles import usernames

WORD_JOINER = "\u2060"
"""Put after an `@` so that a text the bot writes names a person without notifying them
(the command reader does the same to every `@` of a command's text)."""


def named(username: str) -> str:
    """`@username` as the bot writes it: readable, and no mention (no notification)."""
    return f"@{WORD_JOINER}{username}"


Level = Literal["High", "Medium", "Low"]
LEVELS: tuple[Level, ...] = ("High", "Medium", "Low")
INTERNAL_LABEL = "PS Internal"
FIELDS = ("owner", "due", "probability", "impact", "mitigation")
_PAIR = re.compile(r"(?i)(?<![\w/])(owner|due|probability|impact|mitigation)=")
_ROW = re.compile(r"(?im)^\|\s*(owner|due|probability|impact|mitigation)\s*\|\s*(.*?)\s*\|\s*$")


@dataclass(frozen=True)
class RaidFields:
    owner: str | None = None
    due: date | None = None
    probability: Level | None = None
    impact: Level | None = None
    mitigation: str = ""

    @property
    def severity(self) -> Level | None:
        """Probability times impact (each 1 to 3): 6 or more High, 3 or more Medium, else Low;
        None unless both are given."""
        if self.probability is None or self.impact is None:
            return None
        score = _score(self.probability) * _score(self.impact)
        return "High" if score >= 6 else "Medium" if score >= 3 else "Low"

    def table(self) -> str:
        """The fields as the description keeps them (read back by `fields_of`)."""
        rows = [
            ("Owner", named(self.owner) if self.owner else "-"),
            ("Due", self.due.isoformat() if self.due else "-"),
            ("Probability", self.probability or "-"),
            ("Impact", self.impact or "-"),
            ("Mitigation", _cell(self.mitigation) or "-"),
        ]
        return "\n".join(["| Field | Value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def _score(level: Level) -> int:
    return {"High": 3, "Medium": 2, "Low": 1}[level]


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _level(value: str, name: str) -> Level:
    found = value.strip().capitalize()
    if found not in LEVELS:
        raise NotPossible(f"{name} is one of high, medium or low, not {value!r}")
    return found


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise NotPossible(f"due is a date written YYYY-MM-DD, not {value!r}") from None


def risk_arguments(text: str) -> tuple[str, RaidFields]:
    """The risk's words and its `owner=@x due=YYYY-MM-DD probability=high impact=high
    mitigation="..."` fields (refused with the reason when a field cannot be read)."""
    match = _PAIR.search(text)
    if match is None:
        return text.strip(), RaidFields()
    body, tail = text[: match.start()].strip(), text[match.start() :]
    try:
        words = shlex.split(tail)
    except ValueError as error:
        raise NotPossible(f"cannot read the risk's fields ({error})") from None
    given: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or name.lower() not in FIELDS:
            raise NotPossible(
                f"{word!r} is no field of a risk: put the text first, then any of "
                'owner=@user due=YYYY-MM-DD probability=high impact=high mitigation="..."'
            )
        given[name.lower()] = value
    return body, _fields(given)


def _fields(given: Mapping[str, str]) -> RaidFields:
    owner = None
    if given.get("owner"):
        found = usernames(given["owner"].replace(WORD_JOINER, ""))
        if len(found) != 1:
            raise NotPossible(
                f"owner is one GitLab username, like @jane.doe, not {given['owner']!r}"
            )
        owner = found[0]
    return RaidFields(
        owner=owner,
        due=_day(given["due"]) if given.get("due") else None,
        probability=_level(given["probability"], "probability")
        if given.get("probability")
        else None,
        impact=_level(given["impact"], "impact") if given.get("impact") else None,
        mitigation=given.get("mitigation", "").strip(),
    )


def fields_of(issue: LiveIssue) -> RaidFields:
    """The item's fields as GitLab and its description hold them; unreadable cells count as
    not given (people write these tables by hand)."""
    rows = {name.lower(): value.strip() for name, value in _ROW.findall(issue.description)}

    def given(name: str) -> str:
        value = rows.get(name, "")
        return "" if value in ("-", "") else value

    def level(name: str) -> Level | None:
        value = given(name).capitalize()
        return value if value in LEVELS else None

    try:
        due = issue.due_date or (date.fromisoformat(given("due")) if given("due") else None)
    except ValueError:
        due = None
    owners = issue.assignees or usernames(given("owner").replace(WORD_JOINER, ""))
    return RaidFields(
        owner=owners[0] if owners else None,
        due=due,
        probability=level("probability"),
        impact=level("impact"),
        mitigation=given("mitigation").replace("\\|", "|"),
    )


@dataclass(frozen=True)
class RaidDetail:
    """One open RAID item as the status, the report and the dashboard show it."""

    iid: int
    title: str
    kind: str
    severity: Level | None
    fields: RaidFields
    internal: bool
    web_url: str | None = None
    escalated: bool = False

    @property
    def high_impact(self) -> bool:
        return self.fields.impact == "High" or (
            self.fields.impact is None and self.severity == "High"
        )

    @property
    def needs_owner_or_date(self) -> bool:
        """High impact with nobody answering for it or no date to answer by."""
        return self.high_impact and (self.fields.owner is None or self.fields.due is None)

    def overdue(self, today: date) -> bool:
        return self.fields.due is not None and self.fields.due < today

    def missing(self) -> str:
        gone = [
            n for n, v in (("owner", self.fields.owner), ("due date", self.fields.due)) if not v
        ]
        return " and ".join(gone)


def raid_details(blueprint: Blueprint, issues: Sequence[LiveIssue]) -> tuple[RaidDetail, ...]:
    """Every open RAID item (the RAID log issue itself aside): escalated first, then by severity."""
    logs = {i.key for i in blueprint.issues if i.role == "raid"}
    severities = {label: name for name, label in SEVERITY_LABELS.items()}
    found = []
    for issue in issues:
        labels = set(issue.labels)
        kinds = [kind for label, kind in RAID_KINDS.items() if label in labels]
        if issue.closed or issue.key in logs:
            continue
        if not (kinds or RAID_LOG in labels or ESCALATED in labels):
            continue
        fields = fields_of(issue)
        labelled = next((s for label, s in severities.items() if label in labels), None)
        found.append(
            RaidDetail(
                iid=issue.iid,
                title=issue.title,
                kind=kinds[0] if kinds else "Item",
                severity=labelled or fields.severity,  # type: ignore[arg-type]
                fields=fields,
                internal=issue.confidential or INTERNAL_LABEL in labels,
                web_url=issue.web_url,
                escalated=ESCALATED in labels,
            )
        )
    order = {"High": 0, "Medium": 1, "Low": 2, None: 3}
    return tuple(sorted(found, key=lambda d: (not d.escalated, order[d.severity], d.iid)))


def customer_facing(details: Sequence[RaidDetail]) -> tuple[RaidDetail, ...]:
    return tuple(d for d in details if not d.internal)


def top_risks(details: Sequence[RaidDetail], count: int = 3) -> tuple[RaidDetail, ...]:
    """The risks an executive should see first: escalated, then by severity (already so)."""
    return tuple(d for d in details if d.kind == "Risk")[:count]


def overdue_items(details: Sequence[RaidDetail], today: date) -> tuple[RaidDetail, ...]:
    return tuple(d for d in details if d.overdue(today))


def flagged(details: Sequence[RaidDetail]) -> tuple[RaidDetail, ...]:
    return tuple(d for d in details if d.needs_owner_or_date)


# -- `/psdm risk` --------------------------------------------------------------------------------

TITLE_LIMIT = 255
DEFAULT_SEVERITY: Level = "Medium"
ASK_MITIGATION = "State the impact on timeline, scope or quality, and a mitigation."


def raise_risk(text: str, author: str | None, issue_iid: int, note_id: int) -> Outcome:
    """`/psdm risk [high:|medium:|low:] TEXT [owner=@x] [due=YYYY-MM-DD] [probability=..]
    [impact=..] [mitigation="..."]`: a risk on the RAID log, once per comment. The owner is
    assigned and the due date set in GitLab; the severity, unless named, is probability times
    impact."""
    words, fields = risk_arguments(text)
    head, sep, tail = words.partition(":")
    named = head.strip().capitalize() if sep else ""
    severity: Level | None = named if named in LEVELS else None
    body = tail.strip() if severity else words.strip()
    if not body:
        raise NotPossible("the risk has no text: write what could happen first")
    severity = severity or fields.severity or DEFAULT_SEVERITY
    title = body if len(body) <= TITLE_LIMIT else body[: TITLE_LIMIT - 1].rstrip() + "…"
    who = f"@{author}" if author else "a comment"
    key = f"issue:raid/note-{note_id}"
    ask = "" if fields.mitigation else f"{ASK_MITIGATION}\n\n"
    description = (
        f"{body}\n\nRaised by {who} in #{issue_iid}.\n\n{fields.table()}\n\n{ask}"
        f"{Marker(key).render()}"
    )
    labels = (RAID_LOG, RISK, SEVERITY_LABELS[severity])
    shown = ", ".join(f'~"{label}"' for label in labels)
    said = f"Risk #{{result}} is on the RAID log ({shown})."
    unanswered = fields.owner is None or fields.due is None
    if unanswered and (severity == "High" or fields.impact == "High"):
        said += " It has high impact: give it an owner and a due date."
    create = CreateIssue(
        key,
        title,
        description,
        labels,
        said=said,
        assignees=(fields.owner,) if fields.owner else (),
        due_date=fields.due,
    )
    return Decision((create,))
