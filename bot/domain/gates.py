"""Phase gates: a phase ends on its exit criterion, an issue the playbook marks as the gate.

PSDM scales "after successful delivery of one or several MVP pilot(s)": the Sprinting gate is
the pilot's go/no-go against its success criteria, and Scaling waits for every pilot's. A phase
whose playbook names no gate keeps the older rule (its last time-box closing ends it), so a
playbook written before gates existed still moves on.

A phase may hold more than its own gate: each of its time-boxes may have an exit gate (an issue
labelled `PSDM Gate` in it, as each scaling wave's validation), and the phase's own gate waits
for them. Each pilot has its own phase, read from its gates: the first of its phases with a gate
still open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.engagement import planned_kind
from bot.domain.model import LiveEngagement
from bot.domain.roles import people, role
from bot.playbook.blueprint import Blueprint, Phase, Pilot

GATE_LABEL = "PSDM Gate"


@dataclass(frozen=True)
class GateIssue:
    """A gate issue as it stands in GitLab; a gate not created yet is open with no iid."""

    key: str
    title: str
    closed: bool
    iid: int | None = None
    web_url: str | None = None

    def link(self) -> str:
        if self.web_url and self.iid is not None:
            return f"[#{self.iid} {self.title}]({self.web_url})"
        if self.iid is not None:
            return f"#{self.iid} {self.title}"
        return f"{self.title} (not created yet)"


@dataclass(frozen=True)
class OpenGate:
    """A gate that holds a move: the phase it closes and the issue that is still open."""

    phase: Phase
    gate: GateIssue
    pilot: str | None = None
    """The pilot's name, when the engagement has several (pilot 1's phases carry no prefix)."""

    @property
    def where(self) -> str:
        if self.pilot and not self.phase.name.startswith(f"{self.pilot}:"):
            return f"{self.phase.name} ({self.pilot})"
        return self.phase.name


def phase_gates(blueprint: Blueprint, phase: Phase) -> tuple[str, ...]:
    """Every gate of a phase: the exit gate of each of its time-boxes (a governance issue
    labelled `PSDM Gate` in it), then the phase's own gate, which closes the phase."""
    boxes = set(phase.timeboxes)
    exits = [
        i.key
        for i in blueprint.issues
        if i.milestone in boxes
        and GATE_LABEL in i.labels
        and planned_kind(i) == "governance"
        and i.key != phase.gate
    ]
    order = {key: n for n, key in enumerate(phase.timeboxes)}
    exits.sort(key=lambda key: order.get(_box_of(blueprint, key) or "", 0))
    return (*exits, phase.gate) if phase.gate else tuple(exits)


def _box_of(blueprint: Blueprint, issue_key: str) -> str | None:
    return next((i.milestone for i in blueprint.issues if i.key == issue_key), None)


def all_gates(blueprint: Blueprint) -> dict[str, Phase]:
    """Every gate of the engagement with the phase that holds it, in phase order."""
    return {key: phase for phase in blueprint.phases for key in phase_gates(blueprint, phase)}


def live_gates(live: LiveEngagement, blueprint: Blueprint) -> dict[str, GateIssue]:
    """The playbook's gate issues found in GitLab (by the key their marker carries)."""
    keys = all_gates(blueprint)
    return {
        i.key: GateIssue(i.key, i.title, i.closed, i.iid, i.web_url)
        for i in live.issues
        if i.key in keys
    }


def gate_issues(blueprint: Blueprint, live: Mapping[str, GateIssue]) -> dict[str, GateIssue]:
    """Every gate of the playbook as it stands, keyed by issue key (missing ones open)."""
    found: dict[str, GateIssue] = {}
    for key in all_gates(blueprint):
        known = live.get(key)
        if known is None:
            title = next((i.title for i in blueprint.issues if i.key == key), key)
            known = GateIssue(key, title, closed=False)
        found[key] = known
    return found


def gate_phase(blueprint: Blueprint, gate_key: str | None) -> Phase | None:
    """The phase that holds the gate (its own, or one of its time-boxes' exits)."""
    return all_gates(blueprint).get(gate_key or "")


def required_before(
    blueprint: Blueprint, gate_key: str, current: Phase | None = None
) -> tuple[tuple[Phase, str], ...]:
    """The gates that must have passed before `gate_key` may pass, with their phases.

    A pilot's gate needs its own pilot's earlier gates (never another pilot's). A gate of a
    phase after the pilots (Scaling, Close) needs every earlier gate, every pilot's included,
    unless the engagement was already moved past the pilots (a forced move): then only the
    gates of the phases after them. A phase's own gate also needs its time-boxes' exit gates
    (the last wave's validation waits for every wave's).
    """
    phase = gate_phase(blueprint, gate_key)
    if phase is None:
        return ()
    order = list(blueprint.phases)
    earlier = order[: order.index(phase)]
    if phase.pilot is not None:
        earlier = [p for p in earlier if p.pilot == phase.pilot]
    elif current is not None and current.pilot is None:
        earlier = [p for p in earlier if p.pilot is None]
    needed = [(p, key) for p in earlier for key in phase_gates(blueprint, p)]
    if gate_key == phase.gate:
        needed += [(phase, key) for key in phase_gates(blueprint, phase) if key != gate_key]
    return tuple(needed)


def unmet_gates(
    blueprint: Blueprint,
    gate_key: str,
    live: Mapping[str, GateIssue],
    current: Phase | None = None,
) -> tuple[OpenGate, ...]:
    """The gates still open that `gate_key` needs passed first, in phase order."""
    gates = gate_issues(blueprint, live)
    names = _pilot_names(blueprint)
    return tuple(
        OpenGate(phase, gates[key], names.get(phase.pilot or ""))
        for phase, key in required_before(blueprint, gate_key, current)
        if not gates[key].closed
    )


@dataclass(frozen=True)
class PilotPhase:
    """Where one MVP pilot stands: the first of its phases with a gate still open."""

    pilot: Pilot
    phase: Phase | None
    """None once every gate of the pilot has passed (its go/no-go included)."""

    @property
    def phase_name(self) -> str | None:
        if self.phase is None:
            return None
        return self.phase.name.removeprefix(f"{self.pilot.name}: ")

    def text(self) -> str:
        name = self.phase_name
        return f"{self.pilot.name} in {name}" if name else f"{self.pilot.name} passed its go/no-go"


def pilot_phases(blueprint: Blueprint, live: Mapping[str, GateIssue]) -> tuple[PilotPhase, ...]:
    """Each pilot's own phase, read from its gates (a pilot whose phases have no gate is
    reported at its first phase until they have)."""
    gates = gate_issues(blueprint, live)
    found = []
    for pilot in blueprint.pilots:
        phases = [p for p in blueprint.phases if p.key in pilot.phases]
        current = next(
            (p for p in phases if any(not gates[k].closed for k in phase_gates(blueprint, p))),
            None,
        )
        if current is None and not any(phase_gates(blueprint, p) for p in phases):
            current = phases[0] if phases else None
        found.append(PilotPhase(pilot, current))
    return tuple(found)


def pilots_line(pilots: Sequence[PilotPhase]) -> str:
    """`Pilots: Payments in Sprinting, Mobile in Discovery`; empty for a single pilot."""
    if len(pilots) < 2:
        return ""
    return "Pilots: " + ", ".join(p.text() for p in pilots)


def _pilot_names(blueprint: Blueprint) -> dict[str, str]:
    return {p.key: p.name for p in blueprint.pilots} if len(blueprint.pilots) > 1 else {}


def _pilots_before(blueprint: Blueprint, target: Phase) -> list[Phase]:
    """The last phase of each pilot that comes before `target` in engagement order."""
    order = list(blueprint.phases)
    last: dict[str, Phase] = {}
    for phase in order[: order.index(target)]:
        if phase.pilot is not None:
            last[phase.pilot] = phase
    return list(last.values())


def blocking_gates(
    blueprint: Blueprint,
    current: Phase | None,
    target: Phase,
    live: Mapping[str, GateIssue],
) -> tuple[OpenGate, ...]:
    """The open gates that hold a move from `current` to `target`, in phase order.

    Moving forward passes the gate of the current phase and of every phase skipped on the
    way. Leaving the pilots' part for a phase that belongs to no pilot (Scaling) also needs
    the last gate of every pilot, even one run in parallel; once the engagement is past the
    pilots (a move forced past an open go/no-go included), their gates hold nothing more.
    Moving back needs nothing.
    """
    order = list(blueprint.phases)
    at = order.index(current) if current is not None else -1
    to = order.index(target)
    if to <= at:
        return ()
    gates = gate_issues(blueprint, live)
    passed = order[at:to] if at >= 0 else order[:to]
    leaving_pilots = current is None or current.pilot is not None
    if target.pilot is None and leaving_pilots:
        passed += [p for p in _pilots_before(blueprint, target) if p not in passed]
    names = _pilot_names(blueprint)
    held = [
        OpenGate(p, gates[key], names.get(p.pilot or ""))
        for p in order
        if p in passed
        for key in phase_gates(blueprint, p)
        if not gates[key].closed
    ]
    return tuple(held)


def refusal(current: Phase | None, target: Phase, held: Sequence[OpenGate]) -> str:
    """Why `/psdm phase` will not move, with a link to every open gate and the way round."""
    where = f"from {current.name} " if current else ""
    lines = [f"the engagement cannot move {where}to {target.name}: its gate is still open."]
    if len(held) > 1:
        lines[0] = f"the engagement cannot move {where}to {target.name}: gates are still open."
    lines += [f"- {h.where}: {h.gate.link()}" for h in held]
    lines.append(
        "Close the gate when its exit criterion is met, or override with `--force` "
        "(Maintainer; the override is recorded on the engagement epic)."
    )
    return "\n".join(lines)


def forced_note(
    current: Phase | None, target: Phase, held: Sequence[OpenGate], author: str | None
) -> str:
    """The phase note that records an override: who moved past which open gates."""
    who = f"@{author}" if author else "a Maintainer"
    where = f"from {current.name} " if current else ""
    gates = "; ".join(f"{h.where}: {h.gate.link()}" for h in held)
    return (
        f"{who} moved the engagement {where}to {target.name} with `--force`, "
        f"past open gate(s): {gates}."
    )


def phase_of_gate(blueprint: Blueprint, issue_key: str | None) -> Phase | None:
    return next((p for p in blueprint.phases if issue_key and p.gate == issue_key), None)


def advance_on_gate(
    blueprint: Blueprint,
    current: Phase | None,
    closed_key: str,
    live: Mapping[str, GateIssue],
) -> Phase | None:
    """The phase to move to now that the issue `closed_key` closed, or None to stay.

    Only the current phase's gate moves the engagement; it moves on past every following
    phase whose gate is already closed (a pilot run in parallel may have passed its gates
    first), and stops where a gate is open, at a phase without a gate, or where Scaling still
    waits for another pilot's gate.
    """
    gated = phase_of_gate(blueprint, closed_key)
    if gated is None or current is None or gated != current:
        return None
    gates = {**live, closed_key: _closed(live, blueprint, closed_key)}
    order = list(blueprint.phases)
    target: Phase | None = None
    at = current
    while True:
        following = _next(order, at)
        if following is None or blocking_gates(blueprint, current, following, gates):
            return target
        target = following
        own = gates.get(following.gate) if following.gate else None
        if own is None or not own.closed:
            return target
        at = following


def ended_by_timebox(blueprint: Blueprint, phase: Phase | None) -> bool:
    """Whether closing the phase's last time-box ends it: only for a phase with no gate."""
    return phase is not None and phase.gate is None


def _next(order: list[Phase], phase: Phase) -> Phase | None:
    at = order.index(phase)
    return order[at + 1] if at + 1 < len(order) else None


def _closed(live: Mapping[str, GateIssue], blueprint: Blueprint, key: str) -> GateIssue:
    known = live.get(key)
    if known is not None:
        return GateIssue(known.key, known.title, True, known.iid, known.web_url)
    title = next((i.title for i in blueprint.issues if i.key == key), key)
    return GateIssue(key, title, closed=True)


# -- who may pass a gate, and what it asks ------------------------------------------------------

ACCESS_NAMES = {30: "Developer", 40: "Maintainer", 50: "Owner"}
_TASK_LINE = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[([ xX~])\][ \t]+(.*)$", re.MULTILINE)
"""A task-list item; `[~]` marks one inapplicable, which holds nothing
(GL:doc/user/markdown.md, "Task lists")."""


@dataclass(frozen=True)
class Approvers:
    """Who may pass a phase's gates: the people its roles name in the engagement's variables,
    or, when none of them is recorded, anyone with the phase's lowest access level."""

    people: tuple[str, ...]
    roles: tuple[str, ...]
    access: int

    def allow(self, username: str, access_level: int) -> bool:
        if self.people:
            return username.lower() in {p.lower() for p in self.people}
        return access_level >= self.access

    def text(self) -> str:
        if self.people:
            named = " or ".join(f"@{p}" for p in self.people)
            return f"{named} ({', '.join(self.roles)})" if self.roles else named
        level = ACCESS_NAMES.get(self.access, f"access level {self.access}")
        return f"a project {level} or above"


def approvers(blueprint: Blueprint, phase: Phase) -> Approvers:
    """The approvers of a phase's gates, from its roles and the engagement's variables."""
    found: list[str] = []
    titles: list[str] = []
    for key in phase.approvers:
        named = people(blueprint.variables, key)
        found += [n for n in named if n not in found]
        if named:
            titles.append(role(key).title.lower())
    return Approvers(tuple(found), tuple(titles), phase.approver_access)


def unticked(description: str) -> tuple[str, ...]:
    """The acceptance criteria of a gate not ticked yet: its open task-list items, in order."""
    return tuple(m[2].strip() for m in _TASK_LINE.finditer(description or "") if m[1] == " ")


@dataclass(frozen=True)
class GateCheck:
    """Why a gate closed in GitLab does not pass (empty: it passes)."""

    not_allowed: Approvers | None = None
    unticked: tuple[str, ...] = ()
    earlier: tuple[OpenGate, ...] = ()

    @property
    def passes(self) -> bool:
        return self.not_allowed is None and not self.unticked and not self.earlier

    def note(self, closer: str | None) -> str:
        """The polite note on a gate the bot reopens: what is missing, who may pass it."""
        who = f"@{closer}" if closer else "Someone"
        lines = [f"{who} closed this gate, and the bot reopened it:", "", *self.reasons()]
        lines += [
            "",
            "Close it again once that is done; an approver may pass it as it stands with "
            '`/psdm gate pass --force "<reason>"`, which is recorded on the engagement epic.',
        ]
        return "\n".join(lines)

    def reasons(self) -> list[str]:
        """What holds the gate, one list item each (nested items for criteria and gates)."""
        lines: list[str] = []
        if self.not_allowed is not None:
            lines.append(f"- Only {self.not_allowed.text()} may pass this gate.")
        if self.unticked:
            lines.append("- Its acceptance criteria are not all ticked:")
            lines += [f"  - [ ] {item}" for item in self.unticked]
        if self.earlier:
            lines.append("- Gates before it are still open:")
            lines += [f"  - {h.where}: {h.gate.link()}" for h in self.earlier]
        return lines


def check_gate(
    blueprint: Blueprint,
    gate_key: str,
    description: str,
    closer: tuple[str, int] | None,
    live: Mapping[str, GateIssue],
    current: Phase | None = None,
    force: bool = False,
) -> GateCheck:
    """Whether the gate may pass: closed by an approver (when GitLab says who closed it), its
    criteria ticked and the gates before it passed; `force` by an approver skips the last two."""
    phase = gate_phase(blueprint, gate_key)
    if phase is None:
        return GateCheck()
    allowed = approvers(blueprint, phase)
    refused = closer is not None and not allowed.allow(*closer)
    if force:
        return GateCheck(allowed if refused else None)
    # the gate itself is closed now; the gates before it are what `live` says
    held = unmet_gates(blueprint, gate_key, live, current)
    return GateCheck(allowed if refused else None, unticked(description), held)


def passed_note(gate: GateIssue, who: str | None, when: str, reason: str = "") -> str:
    """The record of a passed gate on the engagement epic: which, by whom, when (and why it
    was forced)."""
    by = f" by @{who}" if who else ""
    text = f"Gate passed: {gate.link()}{by} on {when}."
    if reason:
        text += f" Passed with `--force`: {reason}"
    return text


def passed_marker(gate_key: str) -> str:
    return f"<!-- psdm-bot gate-passed={gate_key} -->"
