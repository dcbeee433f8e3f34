"""Phase gates: a phase ends on its exit criterion, an issue the playbook marks as the gate.

PSDM scales "after successful delivery of one or several MVP pilot(s)": the Sprinting gate is
the pilot's go/no-go against its success criteria, and Scaling waits for every pilot's. A phase
whose playbook names no gate keeps the older rule (its last time-box closing ends it), so a
playbook written before gates existed still moves on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.model import LiveEngagement
from bot.playbook.blueprint import Blueprint, Phase


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


def live_gates(live: LiveEngagement, blueprint: Blueprint) -> dict[str, GateIssue]:
    """The playbook's gate issues found in GitLab (by the key their marker carries)."""
    keys = {p.gate for p in blueprint.phases if p.gate}
    return {
        i.key: GateIssue(i.key, i.title, i.closed, i.iid, i.web_url)
        for i in live.issues
        if i.key in keys
    }


def gate_issues(blueprint: Blueprint, live: Mapping[str, GateIssue]) -> dict[str, GateIssue]:
    """Every gate of the playbook as it stands, keyed by issue key (missing ones open)."""
    found: dict[str, GateIssue] = {}
    for phase in blueprint.phases:
        if phase.gate is None:
            continue
        known = live.get(phase.gate)
        if known is None:
            title = next((i.title for i in blueprint.issues if i.key == phase.gate), phase.gate)
            known = GateIssue(phase.gate, title, closed=False)
        found[phase.gate] = known
    return found


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
    names = {p.key: p.name for p in blueprint.pilots} if len(blueprint.pilots) > 1 else {}
    held = [
        OpenGate(p, gates[p.gate], names.get(p.pilot or ""))
        for p in order
        if p in passed and p.gate is not None and not gates[p.gate].closed
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
