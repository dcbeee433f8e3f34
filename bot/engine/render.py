"""Plans for people: a terminal listing and a Markdown table for merge-request comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.engine.plan import Operation, Plan

SYMBOL = {"create": "+", "update": "~", "adopt": "&", "unchanged": "="}
EPICS = {
    "work_items": "epics as work items",
    "legacy": "legacy epics",
    "issues": "epics as parent issues (no epics on this tier)",
    "none": "offline, against an empty project",
}


def short(value: object, width: int = 60) -> str:
    """One line, at most `width` characters, for showing a field value."""
    if isinstance(value, tuple | list):
        value = ", ".join(str(item) for item in value)
    text = " ".join(str(value).split()) if value is not None else "(none)"
    return text if len(text) <= width else text[: width - 1] + "…"


def _details(op: Operation) -> list[str]:
    lines = [f"{name}: {short(old)} -> {short(new)}" for name, (old, new) in op.changes.items()]
    if op.op == "create":
        lines = [
            f"{name}: {short(op.fields[name])}"
            for name in ("start_date", "due_date", "lists")
            if op.fields.get(name)
        ]
        if op.parent:
            lines.append(f"parent: {op.parent}")
        if op.fields.get("children"):
            lines.append(f"lists children: {short(op.fields['children'])}")
        if op.milestone:
            lines.append(f"milestone: {op.milestone}")
        if op.labels:
            lines.append(f"labels: {short(op.labels)}")
    lines += [
        f"kept {name} (edited by a person): {short(live)}" for name, (live, _) in op.kept.items()
    ]
    return lines


def plan_text(plan: Plan) -> str:
    out = [plan.mode, ""] if plan.instance else []
    placement = "no epics" if plan.instance and plan.epics == "none" else EPICS[plan.epics]
    out += [f"Plan for {plan.playbook} ({placement}): {plan.summary()}", ""]
    for op in plan.operations:
        out.append(f"{SYMBOL[op.op]} {op.kind:<9} {op.title}  [{op.key}]")
        out += [f"      {line}" for line in _details(op)]
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: Plan) -> str:
    out = [
        f"### psdm-bot plan: `{plan.playbook}`",
        "",
        f"**{plan.summary()}** ({plan.mode})",
        "",
    ]
    pending = [op for op in plan.operations if op.pending or op.kept]
    if not pending:
        out.append("Nothing to do: GitLab already matches the playbook.")
        return "\n".join(out)
    out += ["| | Kind | Title | Details |", "|---|---|---|---|"]
    for op in pending:
        details = "<br>".join(_cell(line) for line in _details(op))
        out.append(f"| {op.op} | {op.kind} | {_cell(op.title)} | {details} |")
    return "\n".join(out)
