"""Who an engagement's issues are assigned to, by the role their playbook entry names.

The scaffold assigns each issue to the people its owning role holds (the blueprint carries
them, `bot/playbook/render.py`). `/psdm role set ROLE @user...` changes the role's variable
through the engagement's record and moves the role's open issues from the people who held it
to the new ones; closed issues keep who did them, and someone a person assigned stays.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.effects import Decision, Outcome, RecordEngagement, SetAssignees
from bot.domain.errors import NotPossible
from bot.domain.model import LiveEngagement
from bot.domain.playbooks import Choice
from bot.playbook.blueprint import Blueprint
from bot.playbook.roles import ROLES, UnknownRole, people, role, usernames


def role_set(
    live: LiveEngagement, choice: Choice, blueprint: Blueprint, name: str, given: Sequence[str]
) -> Outcome:
    """`/psdm role set ROLE @user...`: record the role's people, reassign its open issues."""
    try:
        held = role(name)
    except UnknownRole as error:
        raise NotPossible(str(error)) from None
    names = usernames(" ".join(given))
    if not names or len(names) != len([g for g in given if g.strip()]):
        raise NotPossible(f"name the {held.title.lower()} by GitLab username, like @jane.doe")
    if not held.several and len(names) > 1:
        raise NotPossible(f"one person is the {held.title.lower()}; name one")
    before = people(choice.variables, held.key)
    variables = {**choice.variables, held.variable: ",".join(names)}
    record = RecordEngagement(
        live.project.id, live.project.path_with_namespace, choice.playbook, variables
    )
    owned = {i.key for i in blueprint.issues if i.owner == held.key}
    moves = tuple(
        SetAssignees(issue.iid, names, tuple(p for p in before if p not in names))
        for issue in live.issues
        if issue.key in owned and not issue.closed and not _holds(issue.assignees, names, before)
    )
    whom = ", ".join(f"@{n}" for n in names)
    said = f"The {held.title.lower()} is now {whom}; {len(moves)} open issue(s) reassigned."
    return Decision((record, *moves), said)


def _holds(assigned: Sequence[str], names: Sequence[str], before: Sequence[str]) -> bool:
    """Whether the issue already has exactly the new people among the role's."""
    mine = {a.lower() for a in assigned}
    gone = {p.lower() for p in before} - {n.lower() for n in names}
    return {n.lower() for n in names} <= mine and not (mine & gone)


def role_table(choice: Choice) -> str:
    """`/psdm role`: who holds each role, from the engagement's record."""
    lines = ["| Role | People | Variable |", "|---|---|---|"]
    for r in ROLES:
        found = people(choice.variables, r.key)
        shown = ", ".join(f"@{n}" for n in found) if found else "nobody yet"
        lines.append(f"| {r.title} (`{r.key}`) | {shown} | `{r.variable}` |")
    return "\n".join(lines)
