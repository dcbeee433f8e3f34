"""Rendering a playbook with values into a Blueprint: expand series, lay out dates, check refs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from bot.playbook.blueprint import Blueprint, Board, Epic, Issue, Label, Phase, TimeBox
from bot.playbook.model import IssueSpec, ItemSpec
from bot.playbook.playbook import Playbook
from bot.playbook.problems import PlaybookError, Problem
from bot.playbook.templates import TemplateProblem, evaluate, render_text
from bot.playbook.variables import SPRINT_WEEKS, START_DATE, coerce, to_plain

SLUG = re.compile(r"^[a-z0-9][a-z0-9._/-]*$")
STORY = re.compile(r"^As (?:an?|the) .+\bI want\b.+\bso that\b.+", re.IGNORECASE | re.DOTALL)

Path = tuple[Any, ...]


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

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(self.pb.position(path).problem(message))

    def week_start(self, week: int) -> date:
        """The first day of engagement week `week` (1-based)."""
        if START_DATE not in self.values:
            raise ValueError(f"week_start needs a variable '{START_DATE}'")
        return self.values[START_DATE] + timedelta(weeks=int(week) - 1)

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
            try:
                value = raw if isinstance(raw, int) else evaluate(raw, self.context())
            except TemplateProblem as exc:
                self.fail(("series", name), f"series '{name}': {exc}")
                value = 0
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.fail(("series", name), f"series '{name}' must count 0 or more, got {value}")
                value = 0
            self.series[name] = value
        return self.series[name]

    def context(self, **extra: Any) -> dict[str, Any]:
        return {**self.values, **self.builtins, **extra}

    def expand(self, section: str) -> Iterator[tuple[int, Any, dict[str, Any]]]:
        """Each (index, spec, context) whose `when` holds, once per value of its series."""
        for index, item in enumerate(getattr(self.spec, section)):
            if item.omit:
                continue
            each = getattr(item, "each", None)
            if each is None:
                contexts = [self.context()]
            elif each in self.spec.series:
                total = self.count(each)
                contexts = [self.context(**{each: n}) for n in range(1, total + 1)]
            else:
                continue  # reported by the static checks
            for ctx in contexts:
                when = getattr(item, "when", None)
                if when is not None:
                    try:
                        if not evaluate(when, ctx):
                            continue
                    except TemplateProblem as exc:
                        self.fail((section, index, "when"), str(exc))
                        continue
                yield index, item, ctx

    def text(self, path: Path, template: str, ctx: dict[str, Any]) -> str:
        try:
            return render_text(template, ctx)
        except TemplateProblem as exc:
            self.fail(path, str(exc))
            return template

    def key(self, kind: str, section: str, index: int, item: ItemSpec, ctx: dict) -> str:
        slug = self.text((section, index, "key"), item.key, ctx)
        if not SLUG.match(slug):
            self.fail((section, index, "key"), f"key '{slug}' is not a slug (a-z, 0-9, - _ . /)")
        key = f"{kind}:{slug}"
        if key in self.origins:
            first = self.pb.position(self.origins[key]).line
            self.fail((section, index, "key"), f"duplicate key '{key}' (first at line {first})")
        else:
            self.origins[key] = (section, index)
        return key

    def made_from(self, section: str, index: int, obj: Any) -> Any:
        """Remember which playbook item produced `obj`, for the reference checks."""
        self.made.append((obj, (section, index)))
        return obj

    def ref(self, kind: str, path: Path, template: str | None, ctx: dict) -> str | None:
        return None if template is None else f"{kind}:{self.text(path, template, ctx)}"

    def names(self, path: Path, templates: list[str], ctx: dict) -> tuple[str, ...]:
        """Rendered list items; an item that renders empty is left out."""
        texts = (self.text((*path, i), t, ctx) for i, t in enumerate(templates))
        return tuple(text for text in texts if text)

    def labels(self) -> list[Label]:
        out = []
        for i, item, ctx in self.expand("labels"):
            out.append(
                Label(
                    key=self.key("label", "labels", i, item, ctx),
                    name=self.text(("labels", i, "name"), item.name, ctx),
                    color=item.color,
                    description=self.text(("labels", i, "description"), item.description, ctx),
                )
            )
        self.label_names = {label.name for label in out}
        return out

    def weeks(self, index: int, raw: int | str | None, ctx: dict) -> int:
        if raw is None:
            return int(self.values.get(SPRINT_WEEKS, 2))
        try:
            value = raw if isinstance(raw, int) else evaluate(raw, ctx)
        except TemplateProblem as exc:
            self.fail(("timeboxes", index, "weeks"), str(exc))
            return 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(("timeboxes", index, "weeks"), f"weeks must be a whole number >= 1: {value}")
            return 1
        return value

    def timebox_list(self) -> list[TimeBox]:
        start: date | None = self.values.get(START_DATE)
        cursor = 0
        for i, item, ctx in self.expand("timeboxes"):
            weeks = self.weeks(i, item.weeks, ctx)
            begins = ends = None
            if start is not None:
                begins = start + timedelta(weeks=cursor)
                ends = begins + timedelta(weeks=weeks, days=-1)
            cursor += weeks
            box = TimeBox(
                key=self.key("milestone", "timeboxes", i, item, ctx),
                title=self.text(("timeboxes", i, "title"), item.title, ctx),
                start_date=begins,
                due_date=ends,
                description=self.text(("timeboxes", i, "description"), item.description, ctx),
                kind=item.kind,
                phase=self.ref("phase", ("timeboxes", i, "phase"), item.phase, ctx),
                number=ctx.get(item.each) if item.each else None,
            )
            self.timeboxes[box.key] = self.made_from("timeboxes", i, box)
        self.builtins.update(
            engagement_weeks=cursor,
            timebox_on=self.timebox_on,
            phase_on=self.phase_on,
            end_date=start + timedelta(weeks=cursor, days=-1) if start else None,
        )
        return list(self.timeboxes.values())

    def epics(self) -> list[Epic]:
        out = []
        for i, item, ctx in self.expand("epics"):
            out.append(
                self.made_from(
                    "epics",
                    i,
                    Epic(
                        key=self.key("epic", "epics", i, item, ctx),
                        title=self.text(("epics", i, "title"), item.title, ctx),
                        description=self.text(("epics", i, "description"), item.description, ctx),
                        labels=self.names(("epics", i, "labels"), item.labels, ctx),
                        parent=self.ref("epic", ("epics", i, "parent"), item.parent, ctx),
                        phase=self.ref("phase", ("epics", i, "phase"), item.phase, ctx),
                        workstream=item.workstream,
                    ),
                )
            )
        return out

    def issue_description(self, i: int, item: IssueSpec, ctx: dict, phase: str) -> str:
        parts = []
        if item.story is not None:
            story = self.text(("issues", i, "story"), item.story, ctx)
            if not STORY.match(story):
                self.fail(("issues", i, "story"), "a story reads 'As a ... I want ... so that ...'")
            parts.append(story)
        elif item.role == "story":
            self.fail(("issues", i, "role"), "an issue with role 'story' needs a `story`")
        body = self.text(("issues", i, "description"), item.description, ctx)
        if body:
            parts.append(body)
        criteria = self.names(("issues", i, "acceptance_criteria"), item.acceptance_criteria, ctx)
        if criteria:
            parts.append("### Acceptance criteria\n\n" + "\n".join(f"- [ ] {c}" for c in criteria))
        elif item.role == "story":
            self.fail(("issues", i, "acceptance_criteria"), "a story needs acceptance criteria")
        step = self.text(("issues", i, "step"), item.step, ctx)
        parts.append(f"---\nPSDM phase: **{phase}** · {step}")
        return "\n\n".join(parts)

    def issues(self, phase_names: Mapping[str, str]) -> list[Issue]:
        out = []
        defaults = tuple(self.spec.defaults.issue_labels)
        for i, item, ctx in self.expand("issues"):
            milestone = self.ref("milestone", ("issues", i, "timebox"), item.timebox, ctx)
            if milestone in self.timeboxes:
                ctx = {**ctx, "timebox": self.timeboxes[milestone]}
            phase = f"phase:{self.text(('issues', i, 'phase'), item.phase, ctx)}"
            own = self.names(("issues", i, "labels"), item.labels, ctx)
            issue = Issue(
                key=self.key("issue", "issues", i, item, ctx),
                title=self.text(("issues", i, "title"), item.title, ctx),
                description=self.issue_description(i, item, ctx, phase_names.get(phase, phase)),
                labels=tuple(dict.fromkeys(defaults + own)),
                milestone=milestone,
                epic=self.ref("epic", ("issues", i, "epic"), item.epic, ctx),
                weight=item.weight,
                confidential=item.confidential,
                role=item.role,
                phase=phase,
            )
            if item.role == "retrospective":
                box = self.timeboxes.get(milestone or "")
                if box is None or box.kind != "sprint":
                    self.fail(("issues", i, "timebox"), "a retrospective belongs to a sprint")
            out.append(self.made_from("issues", i, issue))
        return out

    def boards(self) -> list[Board]:
        return [
            self.made_from(
                "boards",
                i,
                Board(
                    key=self.key("board", "boards", i, item, ctx),
                    name=self.text(("boards", i, "name"), item.name, ctx),
                    lists=self.names(("boards", i, "lists"), item.lists, ctx),
                    labels=self.names(("boards", i, "labels"), item.labels, ctx),
                ),
            )
            for i, item, ctx in self.expand("boards")
        ]

    def phases(self, epics: set[str]) -> list[Phase]:
        out = []
        ctx = self.context()
        for i, item in enumerate(self.spec.phases):
            if item.omit:
                continue
            key = f"phase:{item.key}"
            label = self.text(("phases", i, "label"), item.label, ctx)
            self.check_label(("phases", i, "label"), label)
            epic = f"epic:{item.epic}" if item.epic else None
            if epic is not None and epic not in epics:
                self.fail(("phases", i, "epic"), f"unknown epic '{item.epic}'")
            boxes = tuple(b.key for b in self.timeboxes.values() if b.phase == key)
            name = self.text(("phases", i, "name"), item.name, ctx)
            out.append(Phase(key=key, name=name, label=label, epic=epic, timeboxes=boxes))
        return out

    def check_label(self, path: Path, name: str) -> None:
        if name not in self.label_names:
            self.fail(path, f"unknown label '{name}'")

    def check_refs(self, known: dict[str, set[str]]) -> None:
        """Every label, epic, time-box and phase an object names must exist."""
        fields = {"labels": "label", "lists": "label", "parent": "epic", "epic": "epic"}
        fields |= {"milestone": "time-box", "phase": "phase"}
        spec_field = {"milestone": "timebox"}
        for obj, (section, index) in self.made:
            for field, what in fields.items():
                value = getattr(obj, field, None)
                if value is None:
                    continue
                path = (section, index, spec_field.get(field, field))
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


def render_blueprint(pb: Playbook, given: Mapping[str, object]) -> tuple[Blueprint, list[Problem]]:
    """The blueprint and every problem met on the way; never raises for playbook mistakes."""
    values, problems = _values(pb, given)
    if problems:
        return Blueprint(playbook=pb.name), problems
    r = _Renderer(pb, values)
    labels = r.labels()
    timeboxes = r.timebox_list()
    epics = r.epics()
    phases = r.phases({e.key for e in epics})
    issues = r.issues({p.key: p.name for p in phases})
    boards = r.boards()
    known = {
        "epic": {e.key for e in epics},
        "time-box": set(r.timeboxes),
        "phase": {p.key for p in phases},
    }
    r.check_refs(known)
    blueprint = Blueprint(
        playbook=pb.name,
        variables={name: to_plain(value) for name, value in values.items()},
        labels=tuple(labels),
        timeboxes=tuple(timeboxes),
        epics=tuple(epics),
        issues=tuple(issues),
        boards=tuple(boards),
        phases=tuple(phases),
    )
    return blueprint, r.problems


def render(playbook: Playbook, variables: Mapping[str, object]) -> Blueprint:
    """Render with values as given on the CLI; PlaybookError lists every problem."""
    blueprint, problems = render_blueprint(playbook, variables)
    if problems:
        raise PlaybookError(problems)
    return blueprint
