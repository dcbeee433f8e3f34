"""The close-out labels: `RetroComplete` on retrospectives, and the reporting labels a PM ticks
in the close-out checklist (`ProjectWin`, `CustomerStory`, `Delivery Kit Update`, with a TA
review for the last).

Both rules read the engagement as it is, so the event that changed it and the periodic sweep
decide the same; each writes only where a label differs (compare-and-update).

Where the reporting labels go: on the engagement epic, the one object that stands for the
engagement, so a group's epics filtered by label list its wins and stories (on Free, the
issue standing for the epic); and on the checklist issue where the PM ticked them, so the
tick shows its effect and issue lists filtered by label find it on every tier. The TA review
is a request about the assets the checklist describes, so `TA::Needs-Review` goes on the
checklist only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from bot.domain.actions import action_done, action_items, task_items
from bot.domain.effects import (
    Decision,
    Effect,
    OnIssue,
    RelabelEpic,
    SetIssueLabels,
    UpsertNote,
)
from bot.domain.engagement import RETRO_ROLES, engagement_epic, kind_of
from bot.domain.figures import EngagementSnapshot
from bot.domain.metrics import EngagementMetrics
from bot.domain.model import LiveEngagement, LiveIssue
from bot.playbook.blueprint import Blueprint, Issue

RETRO_COMPLETE = "RetroComplete"
PROJECT_WIN = "ProjectWin"
CUSTOMER_STORY = "CustomerStory"
DELIVERY_KIT_UPDATE = "Delivery Kit Update"
REPORTING = (PROJECT_WIN, CUSTOMER_STORY, DELIVERY_KIT_UPDATE)
TA_REVIEW = "TA::Needs-Review"
TA_APPROVED = "TA::Approved"
RETRO_NOTE = "<!-- psdm-bot retro-complete -->"


def _label_names(blueprint: Blueprint) -> set[str]:
    return {label.name for label in blueprint.labels}


# -- RetroComplete ------------------------------------------------------------------------------


def retro_complete(retro: LiveIssue, closed: Mapping[int, bool]) -> bool:
    """Held (the issue is closed) and every action item done (`bot.domain.actions`)."""
    return retro.closed and all(action_done(a, closed) for a in action_items(retro.description))


def _retro_note(retro: LiveIssue, closed: Mapping[int, bool], complete: bool) -> str:
    if complete:
        count = len({a.text for a in action_items(retro.description)})
        return (
            f'Held, and all {count} action item(s) are done: ~"{RETRO_COMPLETE}" applies. It '
            "comes off again if an action reopens or a new one is added."
        )
    if not retro.closed:
        return f'~"{RETRO_COMPLETE}" taken off: the retrospective is open again.'
    still = dict.fromkeys(
        a.text for a in action_items(retro.description) if not action_done(a, closed)
    )
    listed = "\n".join(f"- {text}" for text in still)
    return f'~"{RETRO_COMPLETE}" taken off: these action items are open.\n\n{listed}'


def follow_retrospectives(live: LiveEngagement, blueprint: Blueprint) -> Decision:
    """`RetroComplete` on each retrospective that is held with all its actions done, and off
    every other one; a comment on the retrospective says why it changed."""
    if RETRO_COMPLETE not in _label_names(blueprint):
        return Decision((), "")
    closed = live.closed_issues()
    effects: list[Effect] = []
    changed: list[str] = []
    for planned in blueprint.issues:
        found = live.issue_by_key(planned.key) if planned.role in RETRO_ROLES else None
        if found is None:
            continue
        complete = retro_complete(found, closed)
        if complete == (RETRO_COMPLETE in found.labels):
            continue
        add, remove = ((RETRO_COMPLETE,), ()) if complete else ((), (RETRO_COMPLETE,))
        effects.append(SetIssueLabels(found.iid, add, remove))
        effects.append(
            UpsertNote(OnIssue(found.iid), RETRO_NOTE, _retro_note(found, closed, complete))
        )
        changed.append(f"#{found.iid} {'complete' if complete else 'not complete'}")
    return Decision(tuple(effects), "; ".join(changed) or "retrospectives unchanged")


# -- the reporting labels of the close-out checklist --------------------------------------------


def _named(text: str, labels: Iterable[str]) -> str | None:
    """The label a checklist line starts with (`ProjectWin proposed if ...`), if any."""
    return next((n for n in labels if re.match(rf"{re.escape(n)}\b", text)), None)


def ticked_labels(description: str | None) -> tuple[str, ...]:
    """The reporting labels whose checklist line is ticked, in checklist order."""
    found = (_named(i.text, REPORTING) for i in task_items(description) if i.ticked)
    return tuple(dict.fromkeys(n for n in found if n))


def proposes_labels(description: str | None) -> bool:
    """Whether the description is a checklist proposing a reporting label (ticked or not)."""
    return any(_named(i.text, REPORTING) for i in task_items(description))


def unticked_between(before: str | None, after: str | None) -> tuple[str, ...]:
    """The reporting labels ticked in `before` and no longer in `after` (an edit unticked them)."""
    now = set(ticked_labels(after))
    return tuple(n for n in ticked_labels(before) if n not in now)


def checklists(blueprint: Blueprint) -> list[Issue]:
    """The playbook's issues that propose reporting labels (the close-out checklist)."""
    return [i for i in blueprint.issues if proposes_labels(i.description)]


def _unticked_note(label: str, where: Sequence[str]) -> str:
    places = " and ".join(where)
    extra = f' and its review request ~"{TA_REVIEW}"' if label == DELIVERY_KIT_UPDATE else ""
    return (
        f'{label} was unticked in this checklist, so ~"{label}"{extra} came off {places}. '
        "Tick it again to put it back."
    )


def follow_close_out(
    live: LiveEngagement,
    blueprint: Blueprint,
    unticked: Sequence[str] = (),
    edited: int | None = None,
) -> Decision:
    """A ticked reporting label applies to the engagement epic and the checklist; a ticked
    Delivery Kit Update asks for a TA review unless a TA approved already. Unticking (`unticked`
    in the issue `edited`, known only from the edit that did it) takes off what the tick put
    on, and says so. Where GitLab keeps no scoped pair (Free), an approved issue loses its
    review request."""
    names = _label_names(blueprint)
    reporting = [n for n in REPORTING if n in names]
    adds: dict[int, list[str]] = {}
    removes: dict[int, list[str]] = {}
    notes: list[Effect] = []
    ticked_anywhere: set[str] = set()
    gone_anywhere: set[str] = set()
    root = engagement_epic(blueprint)
    epic = live.epic_by_key(root.key) if root else None
    for planned in checklists(blueprint) if reporting else []:
        found = live.issue_by_key(planned.key)
        if found is None:
            continue
        ticked = [n for n in ticked_labels(found.description) if n in reporting]
        mine = unticked if found.iid == edited else ()
        gone = [n for n in mine if n in reporting and n not in ticked]
        ticked_anywhere.update(ticked)
        gone_anywhere.update(gone)
        adds[found.iid] = [n for n in ticked if n not in found.labels]
        review = TA_REVIEW in names and DELIVERY_KIT_UPDATE in ticked
        if review and not {TA_REVIEW, TA_APPROVED} & set(found.labels):
            adds[found.iid].append(TA_REVIEW)
        removes[found.iid] = [n for n in gone if n in found.labels]
        if DELIVERY_KIT_UPDATE in gone and TA_REVIEW in found.labels:
            removes[found.iid].append(TA_REVIEW)
        for label in gone:
            if label not in found.labels and not (epic and label in epic.labels):
                continue  # unticked before the tick took effect: nothing came off
            where = ["this checklist"] + (["the engagement epic"] if epic else [])
            marker = f"<!-- psdm-bot unticked={label} -->"
            notes.append(UpsertNote(OnIssue(found.iid), marker, _unticked_note(label, where)))
    for issue in live.issues:  # the scoped pair, where GitLab does not keep it exclusive
        if TA_APPROVED in issue.labels and TA_REVIEW in issue.labels:
            removes.setdefault(issue.iid, []).append(TA_REVIEW)
    effects: list[Effect] = []
    for iid in sorted(set(adds) | set(removes)):
        add = tuple(dict.fromkeys(adds.get(iid, [])))
        remove = tuple(dict.fromkeys(n for n in removes.get(iid, []) if n not in add))
        if add or remove:
            effects.append(SetIssueLabels(iid, add, remove))
    if root is not None and epic is not None:
        off = gone_anywhere - ticked_anywhere
        kept = [n for n in epic.labels if n not in off]
        labels = (*kept, *(n for n in reporting if n in ticked_anywhere and n not in kept))
        if labels != epic.labels:
            effects.append(RelabelEpic(root.key, epic.labels, labels))
    effects += notes
    said = ", ".join(sorted(ticked_anywhere)) or "no reporting label ticked"
    return Decision(tuple(effects), said if effects else "close-out labels unchanged")


# -- the close-out: the acceptance sign-off passed -------------------------------------------------

HANDED_OVER = "Handed over"
CLOSEOUT_MARKER = "<!-- psdm-bot close-out -->"


def close_out_report(
    snapshot: EngagementSnapshot,
    metrics: EngagementMetrics,
    handed: Sequence[LiveIssue],
    who: str | None,
    when: date,
) -> str:
    """The close-out report on the engagement epic: outcomes and KPIs against their targets,
    scope delivered, and the open items handed over."""
    by = f" by @{who}" if who else ""
    lines = [
        f"## Close-out: {snapshot.project.name}",
        "",
        f"Acceptance signed off{by} on {when}. The engagement is closed: its time-boxes are "
        "closed and no weekly status follows. Reopening the acceptance gate reopens it.",
        "",
        "### Outcomes",
        "",
    ]
    if metrics.outcomes:
        lines += ["| Outcome | Result | Measured by |", "|---|---|---|"]
        lines += [
            f"| {o.outcome.name} | "
            + (f"{o.done} of {o.of} ({o.percent}%)" if o.of else "not measured")
            + f" | {o.how} |"
            for o in metrics.outcomes
        ]
    else:
        lines.append("No business outcomes were stated for the engagement.")
    kpis = [(name, c) for name, c in metrics.kpis.totals.items() if c.planned or c.done]
    if kpis:
        lines += ["", "### Adoption KPIs", "", "| KPI | Done of planned |", "|---|---|"]
        lines += [f"| {name} | {count.text()} |" for name, count in kpis]
    work = snapshot.totals.work
    lines += [
        "",
        "### Scope delivered",
        "",
        f"{work.closed} of {work.total} work items done ({work.percent}%)"
        + (
            f", weight {work.weight_closed} of {work.weight_closed + work.weight_open}."
            if work.weighted
            else "."
        ),
    ]
    rows = [(p.name, p.progress) for p in snapshot.phases if p.progress.total]
    rows += [(w.title, w.progress) for w in snapshot.workstreams if w.progress.total]
    if rows:
        lines += ["", "| Part | Work items done |", "|---|---|"]
        lines += [f"| {name} | {p.closed} of {p.total} |" for name, p in rows]
    lines += ["", "### Handed over", ""]
    if handed:
        lines.append(f'Open at the sign-off, labelled ~"{HANDED_OVER}":')
        lines.append("")
        lines += [f"- #{i.iid} {i.title}" for i in handed]
    else:
        lines.append("Nothing was open at the sign-off.")
    return "\n".join(lines)


def handed_over(
    live: LiveEngagement, blueprint: Blueprint, snapshot: EngagementSnapshot
) -> list[LiveIssue]:
    """What is open at the sign-off and goes to the customer: open work items and open RAID
    items (the bot's own governance and the ceremonies are not handed over)."""
    planned = {i.key: i for i in blueprint.issues}
    raid = {item.iid for item in snapshot.raid}
    return [
        i
        for i in live.issues
        if not i.closed
        and not (i.key or "").startswith("epic:")
        and (kind_of(i, planned.get(i.key or "")) == "work" or i.iid in raid)
    ]
