"""GitLab roles as access levels, the scale every command's minimum role is measured on."""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    GUEST = 10
    PLANNER = 15
    REPORTER = 20
    DEVELOPER = 30
    MAINTAINER = 40
    OWNER = 50

    @property
    def title(self) -> str:
        return self.name.capitalize()

    @classmethod
    def named(cls, name: str) -> Role:
        """A role from its name in any case (`maintainer`, `Maintainer`)."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            known = ", ".join(role.name.lower() for role in cls)
            raise ValueError(f"unknown role {name!r}: use one of {known}") from None

    @classmethod
    def of_level(cls, level: int) -> Role | None:
        """The highest role a numeric access level reaches, or None below Guest."""
        reached = [role for role in cls if role <= level]
        return reached[-1] if reached else None
