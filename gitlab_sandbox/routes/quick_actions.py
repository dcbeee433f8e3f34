"""The GitLab quick actions a note can carry; a note made only of them is never stored."""

from __future__ import annotations

import re
import shlex
from typing import Any

from ..model import WorkItem
from ..web import Ctx, Params
from .issues import update_issue
from .timetracking import QUICK_ACTIONS as TIME_ACTIONS
from .timetracking import run_time_action

TIME_CHANGE_NAMES = {
    "spend": "spend_time",
    "spent": "spend_time",
    "estimate": "time_estimate",
    "estimate_time": "time_estimate",
}

COMMAND_RE = re.compile(r"/([a-z_]+)(?: (.*))?[ \t\f\v]*\Z", re.IGNORECASE | re.ASCII)
"""One quick-action line as GitLab's extractor reads it (GL:lib/gitlab/quick_actions/extractor.rb):
`/` at the very start of the line, the command (any case), then nothing, or one space and the
argument up to the end of the line. Ruby's `^`, `$` and `[^\n]` know only `\n` as a line end,
so U+2028, U+0085, form feed and the like stay inside a line; `\r` is removed first."""
FENCE = "```"
KNOWN = {
    "label",
    "labels",
    "unlabel",
    "remove_label",
    "relabel",
    "close",
    "reopen",
    "title",
    "milestone",
    "remove_milestone",
    "assign",
    "unassign",
    "weight",
    "clear_weight",
    "confidential",
    "due",
    "remove_due_date",
    "epic",
    "set_parent",
    "remove_epic",
    "remove_parent",
}


def _refs(text: str, sigil: str) -> list[str]:
    try:
        words = shlex.split(text.replace(f'{sigil}"', '"'))
    except ValueError:
        words = text.split()
    return [w.lstrip(sigil) for w in words if w.strip(sigil)]


def _translate(ctx: Ctx, item: WorkItem, name: str, arg: str) -> tuple[dict[str, Any], str]:
    state = ctx.state
    if name in ("label", "labels"):
        names = _refs(arg, "~")
        return {"add_labels": names}, f"Added {' '.join('~' + n for n in names)} label(s)."
    if name in ("unlabel", "remove_label"):
        names = _refs(arg, "~") or [state.labels[i].title for i in item.label_ids]
        return {"remove_labels": names}, f"Removed {' '.join('~' + n for n in names)} label(s)."
    if name == "relabel":
        names = _refs(arg, "~")
        return {"labels": names}, f"Replaced all labels with {' '.join('~' + n for n in names)}."
    if name in ("close", "reopen"):
        return {"state_event": name}, f"{name.capitalize()}d this issue."
    if name == "title":
        return {"title": arg}, f'Changed the title to "{arg}".'
    if name == "milestone":
        title = " ".join(_refs(arg, "%"))
        project = state.projects[item.project_id]  # type: ignore[index]
        groups = {g.id for g in state.project_ancestor_groups(project)}
        match = next(
            (
                m
                for m in state.milestones.values()
                if m.title == title
                and (
                    (m.owner == "project" and m.owner_id == project.id)
                    or (m.owner == "group" and m.owner_id in groups)
                )
            ),
            None,
        )
        return {"milestone_id": match.id if match else None}, f"Set the milestone to %{title}."
    if name == "remove_milestone":
        return {"milestone_id": None}, "Removed the milestone."
    if name == "assign":
        users = [state.user_by_username(u) for u in _refs(arg, "@")]
        ids = item.assignee_ids + [u.id for u in users if u is not None]
        return {"assignee_ids": ids}, "Assigned."
    if name == "unassign":
        return {"assignee_ids": []}, "Removed assignees."
    if name == "weight":
        return {"weight": arg.strip()}, f"Set weight to {arg.strip()}."
    if name == "clear_weight":
        return {"weight": None}, "Cleared weight."
    if name == "confidential":
        return {"confidential": True}, "Made this issue confidential."
    if name == "due":
        return {"due_date": arg.strip()}, f"Set the due date to {arg.strip()}."
    if name == "remove_due_date":
        return {"due_date": None}, "Removed the due date."
    if name in ("epic", "set_parent"):
        iid = arg.strip().lstrip("&#")
        return {"epic_iid": iid}, f"Added this issue to epic &{iid}."
    return {"epic_id": 0}, "Removed the parent epic."


def command_lines(body: str) -> list[tuple[str, re.Match[str] | None]]:
    """Each line of `body` (split at `\n` only, as GitLab does) with its quick-action match,
    None for text; lines inside a ``` code block are text."""
    found: list[tuple[str, re.Match[str] | None]] = []
    in_code = False
    for line in body.replace("\r", "").split("\n"):
        if line.startswith(FENCE):
            in_code = not in_code
        match = None if in_code else COMMAND_RE.match(line)
        if match is not None and match.group(1).lower() not in KNOWN | TIME_ACTIONS:
            match = None
        found.append((line, match))
    return found


def run_quick_actions(ctx: Ctx, item: WorkItem, body: str) -> tuple[str, dict[str, Any], list[str]]:
    """Execute the quick-action lines; returns the remaining text, the changes and a summary."""
    if item.project_id is None or ctx.user is None:
        return body, {}, []
    kept: list[str] = []
    changes: dict[str, Any] = {}
    messages: list[str] = []
    timed: dict[str, str] = {}  # a time action given twice: its last occurrence counts
    for line, match in command_lines(body):
        if match is None:
            kept.append(line)
            continue
        if match.group(1).lower() in TIME_ACTIONS:
            timed[match.group(1).lower()] = match.group(2) or ""
            continue
        change, message = _translate(ctx, item, match.group(1).lower(), match.group(2) or "")
        changes.update(change)
        messages.append(message)
    if changes and ctx.state.can_edit_item(ctx.user, item):
        saved = ctx.params
        ctx.params = Params(changes)
        try:
            update_issue(ctx, item, ctx.user)
        finally:
            ctx.params = saved
    summary = "\n".join(kept).strip()
    for name, arg in timed.items():
        said = run_time_action(ctx, item, name, arg, summary)
        if said is not None:  # GitLab names the change `spend_time`, `time_estimate`, ...
            changes[TIME_CHANGE_NAMES.get(name, name)] = arg.strip()
            messages.append(said)
    return "\n".join(kept), changes, messages
