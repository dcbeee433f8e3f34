"""The people of an engagement, by PSDM role (the domain reads them via `bot/domain/roles.py`).

An engagement's variables name them by GitLab username: `engagement_manager`,
`project_manager`, `customer_sponsor` (one each) and `technical_architects`, `ps_engineers`
(comma-separated, one or several). Playbook entries that belong to a role (an issue's owner,
a gate's approvers) name the role by its key below; the people come from the variables, so
one role map drives assignment, approval and the portfolio's owners.

Source for the roles and their duties: `shared/psdm/domain.md` section 2.8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
"""GitLab usernames: letters, digits, `_`, `.` and `-`, not starting with `.` or `-`."""


@dataclass(frozen=True)
class Role:
    key: str
    """The role's key in playbooks and `/psdm role set`; also its variable's name (below)."""
    variable: str
    title: str
    several: bool = False
    internal: bool = True
    """A role of GitLab's PS team (False for the customer's people)."""


ROLES: tuple[Role, ...] = (
    Role("engagement_manager", "engagement_manager", "Engagement manager"),
    Role("project_manager", "project_manager", "Project manager"),
    Role("technical_architect", "technical_architects", "Technical architect", several=True),
    Role("ps_engineer", "ps_engineers", "PS engineer", several=True),
    Role("customer_sponsor", "customer_sponsor", "Customer sponsor", internal=False),
)
BY_KEY: Mapping[str, Role] = {role.key: role for role in ROLES}
ALIASES: Mapping[str, str] = {
    "em": "engagement_manager",
    "pm": "project_manager",
    "ta": "technical_architect",
    "pse": "ps_engineer",
    "sponsor": "customer_sponsor",
}


class UnknownRole(ValueError):
    pass


def role(name: str) -> Role:
    """The role a key or a short alias (`pm`, `ta`, `em`, `pse`, `sponsor`) names."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in BY_KEY:
        known = ", ".join([*BY_KEY, *ALIASES])
        raise UnknownRole(f"no role {name!r}: one of {known}")
    return BY_KEY[key]


def usernames(value: object) -> tuple[str, ...]:
    """The usernames a role variable holds: comma- or space-separated, `@` optional; anything
    that is no GitLab username is dropped."""
    if not isinstance(value, str):
        return ()
    names = (part.strip().removeprefix("@") for part in re.split(r"[,\s]+", value))
    return tuple(dict.fromkeys(name for name in names if _USERNAME.match(name)))


def people(variables: Mapping[str, object], key: str) -> tuple[str, ...]:
    """The usernames holding the role `key` in an engagement with these variables."""
    found = usernames(variables.get(role(key).variable))
    return found if role(key).several else found[:1]


def role_map(variables: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """Every role's people (roles nobody holds are left out)."""
    return {r.key: found for r in ROLES if (found := people(variables, r.key))}
