"""The people of an engagement, by PSDM role: the role table lives with the playbook model
(`bot/playbook/roles.py`), which names an issue's owner by role; the domain reads it here."""

from __future__ import annotations

from bot.playbook.roles import (
    ALIASES,
    BY_KEY,
    ROLES,
    Role,
    UnknownRole,
    people,
    role,
    role_map,
    usernames,
)

__all__ = [
    "ALIASES",
    "BY_KEY",
    "ROLES",
    "Role",
    "UnknownRole",
    "people",
    "role",
    "role_map",
    "usernames",
]
