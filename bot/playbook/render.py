"""Rendering a playbook with values into a Blueprint: expand series and pilots, lay out dates,
check references.

MVP pilots: a phase marked `pilot: true` runs once per pilot, and so does every time-box,
epic and issue of such a phase unless it says `once: true`. Pilot 1 keeps the plain keys
(an engagement that had one pilot gets no duplicates when it is re-rendered); pilot N > 1
prefixes keys with `pilot-N/` and titles with the pilot's name, and its references to other
per-pilot objects point at its own copies.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, cast

from bot.playbook.blueprint import (
    ROLE_KIND,
    Blueprint,
    Board,
    Epic,
    Issue,
    IssueTemplate,
    Label,
    Phase,
    Pilot,
    PilotSchedule,
    StatusWeek,
    TimeBox,
)
from bot.playbook.model import IssueSpec, PhaseSpec, TimeBoxSpec
from bot.playbook.playbook import Playbook
from bot.playbook.problems import PlaybookError, Problem
from bot.playbook.roles import UnknownRole, people, role
from bot.playbook.templates import TemplateProblem, evaluate, render_text
from bot.playbook.variables import SPRINT_WEEKS, START_DATE, coerce, to_plain

SLUG = re.compile(r"^[a-z0-9][a-z0-9._/-]*$")
STORY = re.compile(r"^As (?:an?|the) .+\bI want\b.+\bso that\b.+", re.IGNORECASE | re.DOTALL)
MAX_PILOTS = 12
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
RAID_FIELDS = """Fill in each `-`: the owner as @username, the due date as YYYY-MM-DD,
probability and impact as High, Medium or Low, the mitigation in a sentence.

| Field | Value |
|---|---|
| Owner | - |
| Due | - |
| Probability | - |
| Impact | - |
| Mitigation | - |"""
"""The RAID item's field table, in the shape `bot/domain/raid.py` reads back (and `/psdm risk`
writes): a person files the item and replaces each `-`."""
ACCESS_LEVELS = {"developer": 30, "maintainer": 40, "owner": 50}
"""GitLab's access levels by role name (GL:doc/api/members.md, "Roles")."""
SCHEDULES: tuple[PilotSchedule, ...] = ("sequential", "parallel")

Path = tuple[Any, ...]
Context = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One object to make: the playbook item, where it is written, its context and pilot."""

    where: Path
    item: Any
    ctx: Context
    pilot: int | None


def pilot_key(number: int) -> str:
    return f"pilot-{number}"


class _Renderer:
    def __init__(self, playbook: Playbook, values: dict[str, Any]) -> None:
        self.pb = playbook
        self.spec = playbook.spec
        self.values = values
        self.problems: list[Problem] = []
        self.builtins: dict[str, Any] = {"week_start": self.week_start}
        self.series: dict[str, int] = {}
        self.origins: dict[str, Path] = {}
        self.made: list[tuple[Any, Path]] = []
        self.timeboxes: dict[str, TimeBox] = {}
        self.label_names: set[str] = set()
        self.pilot_phases = {p.key for p in self.spec.phases if p.pilot and not p.omit}
        # slugs (without the pilot prefix) of the objects each pilot has its own copy of
        self.scoped: dict[str, set[str]] = {"phase": set(self.pilot_phases)}
        self.pilot_names: dict[int, str] = {}
        self.pilot_count = 1
        self.schedule: PilotSchedule = "sequential"
        self.gates: dict[str, tuple[Path, str, int | None]] = {}

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(self.pb.position(path).problem(message))

    def week_start(self, week: int) -> date:
        """The first day of engagement week `week` (1-based)."""
        if START_DATE not in self.values:
            raise ValueError(f"week_start needs a variable '{START_DATE}'")
        start: date = self.values[START_DATE]
        return start + timedelta(weeks=int(week) - 1)

    def timebox_on(self, day: date) -> str:
        """The key slug of the first time-box whose dates contain `day`."""
        for box in self.timeboxes.values():
            if box.start_date and box.due_date and box.start_date <= day <= box.due_date:
                return box.key.removeprefix("milestone:")
        raise ValueError(f"no time-box contains {day}")

    def phase_on(self, day: date) -> str:
        """The phase slug of the time-box that contains `day`."""
        key = "milestone:" + self.timebox_on(day)
        return (self.timeboxes[key].phase or "").removeprefix("phase:")

    def count(self, name: str) -> int:
        if name not in self.series:
            raw = self.spec.series[name]
            self.series[name] = self.whole(("series", name), f"series '{name}'", raw, 0)
        return self.series[name]

    def whole(self, path: Path, what: str, raw: int | str, low: int) -> int:
        """An integer field written as a number or an expression, at least `low`."""
        try:
            value = raw if isinstance(raw, int) else evaluate(raw, self.context())
        except TemplateProblem as exc:
            self.fail(path, f"{what}: {exc}")
            return low
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            self.fail(path, f"{what} must count {low} or more, got {value}")
            return low
        return value

    def context(self, **extra: Any) -> Context:
        return {**self.values, **self.builtins, **extra}

    # --- pilots ---------------------------------------------------------------------------

    def setup_pilots(self) -> None:
        spec = self.spec.pilots
        count = self.whole(("pilots", "count"), "pilots", spec.count, 1)
        if count > MAX_PILOTS:
            self.fail(("pilots", "count"), f"at most {MAX_PILOTS} pilots, got {count}")
            count = MAX_PILOTS
        self.pilot_count = count
        schedule = self.text(("pilots", "schedule"), spec.schedule, self.context()).strip()
        if schedule in SCHEDULES:
            self.schedule = schedule
        else:
            self.fail(
                ("pilots", "schedule"), f"schedule must be sequential or parallel, got '{schedule}'"
            )
        given = self.text(("pilots", "names"), spec.names, self.context()).split(",")
        named = [name.strip() for name in given]
        for n in range(1, count + 1):
            name = named[n - 1] if n <= len(named) else ""
            if not name:
                name = self.text(("pilots", "name"), spec.name, self.context(pilot=n)).strip()
            self.pilot_names[n] = name or f"Pilot {n}"

    def per_pilot(self, item: Any) -> bool:
        """Whether every pilot gets its own copy: written in a pilot phase and not `once`."""
        if getattr(item, "once", False):
            return False
        phase = getattr(item, "phase", None)
        return isinstance(phase, str) and phase in self.pilot_phases

    def pilots_of(self, item: Any) -> list[int | None]:
        return list(range(1, self.pilot_count + 1)) if self.per_pilot(item) else [None]

    def bind(self, ctx: Context, pilot: int | None) -> Context:
        number = pilot or 1
        return {**ctx, "pilot": number, "pilot_name": self.pilot_names.get(number, "")}

    def scope(self, kind: str, slug: str, pilot: int | None) -> str:
        if pilot is not None and pilot > 1 and slug in self.scoped.get(kind, ()):
            return f"{pilot_key(pilot)}/{slug}"
        return slug

    def titled(self, title: str, pilot: int | None) -> str:
        """Pilot N > 1 names its objects after the pilot, so milestone titles stay unique."""
        if pilot is not None and pilot > 1:
            return f"{self.pilot_names[pilot]}: {title}"
        return title

    def blocks(self, section: str, items: Sequence[Any]) -> list[tuple[bool, list[int]]]:
        """Indexes of `items` grouped into runs; a run of per-pilot items is one block."""
        out: list[tuple[bool, list[int]]] = []
        seen_block = False
        for index, item in enumerate(items):
            if item.omit:
                continue
            per = self.per_pilot(item) or (isinstance(item, PhaseSpec) and item.pilot)
            if per and out and out[-1][0]:
                out[-1][1].append(index)
                continue
            if per and seen_block:
                self.fail((section, index), "the pilot phases' items must be written together")
            seen_block = seen_block or per
            out.append((per, [index]))
        return out

    def pilot_runs(self, per: bool) -> list[int | None]:
        return list(range(1, self.pilot_count + 1)) if per else [None]

    # --- expansion ------------------------------------------------------------------------

    def contexts(self, where: Path, item: Any) -> list[Context]:
        each = getattr(item, "each", None)
        if each is None:
            return [self.context()]
        if each in self.spec.series:
            return [self.context(**{each: n}) for n in range(1, self.count(each) + 1)]
        return []  # reported by the static checks

    def holds(self, where: Path, item: Any, ctx: Context) -> bool:
        when = getattr(item, "when", None)
        if when is None:
            return True
        try:
            return bool(evaluate(when, ctx))
        except TemplateProblem as exc:
            self.fail((*where, "when"), str(exc))
            return False

    def entries(self, where: Path, item: Any, pilot: int | None) -> Iterator[Entry]:
        for base in self.contexts(where, item):
            ctx = self.bind(base, pilot)
            if self.holds(where, item, ctx):
                yield Entry(where, item, ctx, pilot)

    def expand(self, section: str) -> Iterator[Entry]:
        """Each entry whose `when` holds, once per value of its series and per pilot."""
        for index, item in enumerate(getattr(self.spec, section)):
            if item.omit:
                continue
            for pilot in self.pilots_of(item):
                yield from self.entries((section, index), item, pilot)

    def text(self, path: Path, template: str, ctx: Context) -> str:
        try:
            return render_text(template, ctx)
        except TemplateProblem as exc:
            self.fail(path, str(exc))
            return template

    def key(self, kind: str, entry: Entry) -> str:
        where = entry.where
        slug = self.text((*where, "key"), entry.item.key, entry.ctx)
        if not SLUG.match(slug):
            self.fail((*where, "key"), f"key '{slug}' is not a slug (a-z, 0-9, - _ . /)")
        if entry.pilot is not None:
            self.scoped.setdefault(kind, set()).add(slug)
        key = f"{kind}:{self.scope(kind, slug, entry.pilot)}"
        if key in self.origins:
            first = self.pb.position(self.origins[key]).line
            self.fail((*where, "key"), f"duplicate key '{key}' (first at line {first})")
        else:
            self.origins[key] = where
        return key

    def made_from(self, where: Path, obj: Any) -> Any:
        """Remember which playbook item produced `obj`, for the reference checks."""
        self.made.append((obj, where))
        return obj

    def ref(self, kind: str, path: Path, template: str | None, entry: Entry) -> str | None:
        if template is None:
            return None
        return f"{kind}:{self.scope(kind, self.text(path, template, entry.ctx), entry.pilot)}"

    def names(self, path: Path, templates: list[str], ctx: Context) -> tuple[str, ...]:
        """Rendered list items; an item that renders empty is left out."""
        texts = (self.text((*path, i), t, ctx) for i, t in enumerate(templates))
        return tuple(text for text in texts if text)

    # --- objects --------------------------------------------------------------------------

    def labels(self) -> list[Label]:
        out = []
        for entry in self.expand("labels"):
            where, item = entry.where, entry.item
            out.append(
                Label(
                    key=self.key("label", entry),
                    name=self.text((*where, "name"), item.name, entry.ctx),
                    color=item.color,
                    description=self.text((*where, "description"), item.description, entry.ctx),
                )
            )
        self.label_names = {label.name for label in out}
        return out

    def weeks(self, where: Path, raw: int | str | None, ctx: Context) -> int:
        if raw is None:
            return int(self.values.get(SPRINT_WEEKS, 2))
        try:
            value = raw if isinstance(raw, int) else evaluate(raw, ctx)
        except TemplateProblem as exc:
            self.fail((*where, "weeks"), str(exc))
            return 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail((*where, "weeks"), f"weeks must be a whole number >= 0: {value}")
            return 1
        return value

    def lay(self, entry: Entry, cursor: int) -> int:
        """Place one time-box at `cursor` weeks from the start; return where the next begins."""
        item: TimeBoxSpec = entry.item
        where, ctx = entry.where, entry.ctx
        weeks = self.weeks(where, item.weeks, ctx)
        start: date | None = self.values.get(START_DATE)
        begins = ends = None
        if start is not None and weeks > 0:
            begins = start + timedelta(weeks=cursor)
            ends = begins + timedelta(weeks=weeks, days=-1)
        box = TimeBox(
            key=self.key("milestone", entry),
            title=self.titled(self.text((*where, "title"), item.title, ctx), entry.pilot),
            start_date=begins,
            due_date=ends,
            description=self.text((*where, "description"), item.description, ctx),
            kind=item.kind,
            phase=self.ref("phase", (*where, "phase"), item.phase, entry),
            number=ctx.get(item.each) if item.each else None,
        )
        self.timeboxes[box.key] = self.made_from(where, box)
        return cursor + weeks

    def timebox_list(self) -> list[TimeBox]:
        """Time-boxes end to end; pilots one after another, or side by side in parallel."""
        items = self.spec.timeboxes
        cursor = 0
        for per, indexes in self.blocks("timeboxes", items):
            ends = []
            running = cursor
            for pilot in self.pilot_runs(per):
                at = cursor if self.schedule == "parallel" else running
                for index in indexes:
                    for entry in self.entries(("timeboxes", index), items[index], pilot):
                        at = self.lay(entry, at)
                running = at
                ends.append(at)
            cursor = max(ends, default=cursor)
        start: date | None = self.values.get(START_DATE)
        self.builtins.update(
            engagement_weeks=cursor,
            timebox_on=self.timebox_on,
            phase_on=self.phase_on,
            end_date=start + timedelta(weeks=cursor, days=-1) if start else None,
        )
        return list(self.timeboxes.values())

    def epics(self) -> list[Epic]:
        out = []
        for entry in self.expand("epics"):
            where, item, ctx = entry.where, entry.item, entry.ctx
            epic = Epic(
                key=self.key("epic", entry),
                title=self.titled(self.text((*where, "title"), item.title, ctx), entry.pilot),
                description=self.text((*where, "description"), item.description, ctx),
                labels=self.names((*where, "labels"), item.labels, ctx),
                parent=self.ref("epic", (*where, "parent"), item.parent, entry),
                phase=self.ref("phase", (*where, "phase"), item.phase, entry),
                workstream=item.workstream,
            )
            out.append(self.made_from(where, epic))
        return out

    def issue_description(self, entry: Entry, phase: str) -> str:
        where, item, ctx = entry.where, entry.item, entry.ctx
        parts = []
        if item.story is not None:
            story = self.text((*where, "story"), item.story, ctx)
            if not STORY.match(story):
                self.fail((*where, "story"), "a story reads 'As a ... I want ... so that ...'")
            parts.append(story)
        elif item.role == "story":
            self.fail((*where, "role"), "an issue with role 'story' needs a `story`")
        body = self.text((*where, "description"), item.description, ctx)
        if body:
            parts.append(body)
        criteria = self.names((*where, "acceptance_criteria"), item.acceptance_criteria, ctx)
        if criteria:
            parts.append("### Acceptance criteria\n\n" + "\n".join(f"- [ ] {c}" for c in criteria))
        elif item.role == "story":
            self.fail((*where, "acceptance_criteria"), "a story needs acceptance criteria")
        step = self.text((*where, "step"), item.step, ctx)
        parts.append(f"---\nPSDM phase: **{phase}** · {step}")
        return "\n\n".join(parts)

    def issue(self, entry: Entry, phase_names: Mapping[str, str]) -> Issue:
        where, item = entry.where, entry.item
        spec: IssueSpec = item
        milestone = self.ref("milestone", (*where, "timebox"), spec.timebox, entry)
        if milestone in self.timeboxes:
            entry = dataclasses.replace(
                entry, ctx={**entry.ctx, "timebox": self.timeboxes[milestone]}
            )
        ctx = entry.ctx
        phase = self.ref("phase", (*where, "phase"), spec.phase, entry) or ""
        own = self.names((*where, "labels"), spec.labels, ctx)
        defaults = tuple(self.spec.defaults.issue_labels)
        issue = Issue(
            key=self.key("issue", entry),
            title=self.titled(self.text((*where, "title"), spec.title, ctx), entry.pilot),
            description=self.issue_description(entry, phase_names.get(phase, phase)),
            labels=tuple(dict.fromkeys(defaults + own)),
            milestone=milestone,
            epic=self.ref("epic", (*where, "epic"), spec.epic, entry),
            weight=spec.weight,
            confidential=spec.confidential,
            role=spec.role,
            phase=phase,
            kind=spec.kind or ROLE_KIND[spec.role],
        )
        issue = self.owned(issue, spec, where)
        if spec.role == "retrospective":
            box = self.timeboxes.get(milestone or "")
            if box is None or box.kind != "sprint":
                self.fail((*where, "timebox"), "a retrospective belongs to a sprint")
        if spec.confidential and self.spec.audience == "customer":
            self.fail(
                (*where, "confidential"),
                "a customer-facing playbook holds no confidential issue: internal work "
                "belongs to the internal lifecycle (audience: internal)",
            )
        return cast(Issue, self.made_from(where, issue))

    def owned(self, issue: Issue, spec: IssueSpec, where: Path) -> Issue:
        """The issue with its owning role (its own, else its kind's default) and the people
        the engagement's variables give that role."""
        named = spec.owner or self.spec.defaults.owners.get(issue.kind)
        if not named:
            return issue
        try:
            owner = role(named).key
        except UnknownRole as error:
            path = (*where, "owner") if spec.owner else ("defaults", "owners", issue.kind)
            if path[0] != "defaults" or not any(p.message == str(error) for p in self.problems):
                self.fail(path, str(error))
            return issue
        return dataclasses.replace(issue, owner=owner, assignees=people(self.values, owner))

    def issues(self, phase_names: Mapping[str, str]) -> list[Issue]:
        return [self.issue(entry, phase_names) for entry in self.expand("issues")]

    def weekly_status(self, phase_names: Mapping[str, str]) -> list[StatusWeek]:
        item = self.spec.weekly_status
        if item is None:
            return []
        where: Path = ("weekly_status",)
        if item.each is None:
            self.fail(where, "the weekly status needs `each` over the engagement's weeks")
            return []
        out = []
        for entry in self.entries(where, item, None):
            issue = self.issue(entry, phase_names)
            week = int(entry.ctx[item.each])
            if START_DATE in self.values:
                begins = self.week_start(week)
                out.append(StatusWeek(week, begins, begins + timedelta(days=6), issue))
        return out

    def boards(self) -> list[Board]:
        out = []
        for entry in self.expand("boards"):
            where, item, ctx = entry.where, entry.item, entry.ctx
            board = Board(
                key=self.key("board", entry),
                name=self.text((*where, "name"), item.name, ctx),
                lists=self.names((*where, "lists"), item.lists, ctx),
                labels=self.names((*where, "labels"), item.labels, ctx),
            )
            out.append(self.made_from(where, board))
        return out

    def templates(self) -> list[IssueTemplate]:
        out = []
        for entry in self.expand("templates"):
            where, item, ctx = entry.where, entry.item, entry.ctx
            name = self.text((*where, "name"), item.name, ctx).strip()
            if not TEMPLATE_NAME.match(name) or name.endswith("."):
                self.fail((*where, "name"), f"template name '{name}' is not a plain file name")
            labels = self.names((*where, "labels"), item.labels, ctx)
            parts = [self.text((*where, "description"), item.description, ctx).strip()]
            if item.raid_fields:
                parts.append(RAID_FIELDS)
            if labels:  # GL:doc/user/project/quick_actions.md: a template may carry them
                parts.append("/label " + " ".join(f'~"{label}"' for label in labels))
            body = "\n\n".join(part for part in parts if part) + "\n"
            template = IssueTemplate(self.key("template", entry), name, body, labels)
            out.append(self.made_from(where, template))
        return out

    def phases(self, epics: set[str]) -> tuple[list[Phase], list[Pilot]]:
        out: list[Phase] = []
        members: dict[int, list[str]] = {}
        items = self.spec.phases
        for per, indexes in self.blocks("phases", items):
            for pilot in self.pilot_runs(per):
                for index in indexes:
                    out.append(self.phase(index, items[index], pilot, epics))
                    if pilot is not None:
                        members.setdefault(pilot, []).append(out[-1].key)
        pilots = [
            Pilot(pilot_key(n), n, self.pilot_names[n], tuple(keys))
            for n, keys in sorted(members.items())
        ]
        return out, pilots

    def phase(self, index: int, item: PhaseSpec, pilot: int | None, epics: set[str]) -> Phase:
        where: Path = ("phases", index)
        entry = Entry(where, item, self.bind(self.context(), pilot), pilot)
        key = f"phase:{self.scope('phase', item.key, pilot)}"
        label = self.text((*where, "label"), item.label, entry.ctx)
        self.check_label((*where, "label"), label)
        epic = self.ref("epic", (*where, "epic"), item.epic, entry)
        if epic is not None and epic not in epics:
            self.fail((*where, "epic"), f"unknown epic '{item.epic}'")
        if item.gate is not None:
            gate = self.text((*where, "gate"), item.gate, entry.ctx).strip()
            if gate:
                self.gates[key] = (where, gate, pilot)
        boxes = tuple(b.key for b in self.timeboxes.values() if b.phase == key)
        name = self.titled(self.text((*where, "name"), item.name, entry.ctx), pilot)
        return Phase(
            key=key,
            name=name,
            label=label,
            epic=epic,
            timeboxes=boxes,
            pilot=pilot_key(pilot) if pilot is not None else None,
            approvers=tuple(item.approvers),
            approver_access=ACCESS_LEVELS[item.approver_access],
        )

    def with_gates(self, phases: list[Phase], issues: Sequence[Issue]) -> list[Phase]:
        """Each phase with its gate: an issue of the blueprint whose kind is governance."""
        by_key = {issue.key: issue for issue in issues}
        out = []
        for phase in phases:
            if phase.key not in self.gates:
                out.append(phase)
                continue
            where, slug, pilot = self.gates[phase.key]
            gate = f"issue:{self.scope('issue', slug, pilot)}"
            issue = by_key.get(gate)
            if issue is None:
                self.fail((*where, "gate"), f"gate '{slug}' is not an issue of this engagement")
            elif issue.kind != "governance":
                self.fail((*where, "gate"), f"gate '{slug}' must be a governance issue")
            out.append(dataclasses.replace(phase, gate=gate))
        return out

    def check_label(self, path: Path, name: str) -> None:
        if name not in self.label_names:
            self.fail(path, f"unknown label '{name}'")

    def check_refs(self, known: dict[str, set[str]]) -> None:
        """Every label, epic, time-box and phase an object names must exist."""
        fields = {"labels": "label", "lists": "label", "parent": "epic", "epic": "epic"}
        fields |= {"milestone": "time-box", "phase": "phase"}
        spec_field = {"milestone": "timebox"}
        for obj, where in self.made:
            for field, what in fields.items():
                value = getattr(obj, field, None)
                if value is None:
                    continue
                path = (*where, spec_field.get(field, field))
                if what == "label":
                    for j, name in enumerate(value):
                        self.check_label((*path, j), name)
                elif value not in known[what]:
                    self.fail(path, f"unknown {what} '{value.split(':', 1)[1]}'")


def _values(pb: Playbook, given: Mapping[str, object]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems = []
    for name in given:
        if name not in pb.spec.variables:
            declared = ", ".join(pb.spec.variables)
            problems.append(
                Problem(pb.display, 0, 0, f"unknown variable '{name}' (declared: {declared})")
            )
    for name, spec in pb.spec.variables.items():
        raw = given.get(name, spec.default)
        if raw is None:
            pos = pb.position(("variables", name), at_key=True)
            problems.append(pos.problem(f"missing required variable '{name}' (--var {name}=...)"))
            continue
        try:
            values[name] = coerce(name, spec, raw)
        except ValueError as exc:
            where = ("variables", name) if name in given else ("variables", name, "default")
            problems.append(pb.position(where, at_key=name in given).problem(str(exc)))
    return values, problems


def in_phase_order(
    issues: Sequence[Issue], phases: Sequence[Phase], timeboxes: Sequence[TimeBox]
) -> list[Issue]:
    """The issues in the order the engagement runs them, so GitLab numbers them that way: by
    when their phase starts, then by their time-box's start, then as the playbook lists them.
    Issues of no phase or time-box come after those of their phase that have one."""
    starts = {t.key: t.start_date for t in timeboxes}
    first = {
        p.key: min((d for k in p.timeboxes if (d := starts.get(k))), default=date.max)
        for p in phases
    }
    rank = {p.key: n for n, p in enumerate(phases)}

    def when(pair: tuple[int, Issue]) -> tuple[date, int, date, int]:
        n, issue = pair
        phase = issue.phase or ""
        box = starts.get(issue.milestone or "") or date.max
        return (first.get(phase, date.max), rank.get(phase, len(rank)), box, n)

    return [issue for _, issue in sorted(enumerate(issues), key=when)]


def render_blueprint(pb: Playbook, given: Mapping[str, object]) -> tuple[Blueprint, list[Problem]]:
    """The blueprint and every problem met on the way; never raises for playbook mistakes."""
    values, problems = _values(pb, given)
    if problems:
        return Blueprint(playbook=pb.name, audience=pb.spec.audience), problems
    r = _Renderer(pb, values)
    r.setup_pilots()
    labels = r.labels()
    timeboxes = r.timebox_list()
    epics = r.epics()
    phases, pilots = r.phases({e.key for e in epics})
    names = {p.key: p.name for p in phases}
    issues = r.issues(names)
    weekly = r.weekly_status(names)
    phases = r.with_gates(phases, issues)
    issues = in_phase_order(issues, phases, timeboxes)
    boards = r.boards()
    templates = r.templates()
    known = {
        "epic": {e.key for e in epics},
        "time-box": set(r.timeboxes),
        "phase": {p.key for p in phases},
    }
    r.check_refs(known)
    blueprint = Blueprint(
        playbook=pb.name,
        variables={name: to_plain(value) for name, value in values.items()},
        audience=pb.spec.audience,
        labels=tuple(labels),
        timeboxes=tuple(timeboxes),
        epics=tuple(epics),
        issues=tuple(issues),
        boards=tuple(boards),
        templates=tuple(templates),
        phases=tuple(phases),
        pilots=tuple(pilots),
        pilot_schedule=r.schedule,
        weekly_status=tuple(weekly),
    )
    return blueprint, r.problems


def render(playbook: Playbook, variables: Mapping[str, object]) -> Blueprint:
    """Render with values as given on the CLI; PlaybookError lists every problem."""
    blueprint, problems = render_blueprint(playbook, variables)
    if problems:
        raise PlaybookError(problems)
    return blueprint
