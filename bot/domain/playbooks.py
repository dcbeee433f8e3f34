"""Which playbook an engagement project gets, and with which variables: one rule for every way
in (project-creation event, `/psdm` command, report, dashboard, CLI).

Also the variables a project supplies itself, so every way in renders the same blueprint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from bot.domain.model import ProjectFacts

FROM_TOPIC = "from-topic"
TOPIC_PREFIX = "psdm::"


@dataclass(frozen=True)
class PlaybookRule:
    """Conditions left None always hold; `playbook: from-topic` reads it from `psdm::<name>`."""

    playbook: str
    namespace: str | None = None
    topic: str | None = None
    name: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


DEFAULT_RULES = (PlaybookRule(FROM_TOPIC, topic=f"{TOPIC_PREFIX}*"),)
"""Without configured rules, a project names its playbook with a `psdm::<name>` topic."""


@dataclass(frozen=True)
class Choice:
    playbook: str
    variables: Mapping[str, str]


@dataclass(frozen=True)
class Asked:
    """What a person asked for: a playbook (None: the engagement's own) and variables."""

    playbook: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


def choose_playbook(
    facts: ProjectFacts,
    recorded: Choice | None,
    asked: Asked | None,
    rules: Sequence[PlaybookRule],
) -> Choice | None:
    """The playbook and variables: as recorded, as asked for, or as the first matching rule
    picks them (variables asked for win); None when nothing names one."""
    asked = asked or Asked()
    given = dict(asked.variables)
    if recorded and asked.playbook in (None, recorded.playbook):
        return Choice(recorded.playbook, {**recorded.variables, **given})
    if asked.playbook:
        return Choice(asked.playbook, {**default_variables(facts), **given})
    for rule in rules:
        playbook = _matches(rule, facts)
        if playbook:
            return Choice(playbook, {**default_variables(facts), **rule.variables, **given})
    return None


def default_variables(project: ProjectFacts) -> dict[str, str]:
    """Variables a project supplies itself: its name as the customer, its creation day as start.

    Both are stable, so rendering the playbook again later gives the same blueprint.
    """
    found = {"customer": project.name}
    if project.created:
        found["start_date"] = project.created.isoformat()
    return found


def _matches(rule: PlaybookRule, project: ProjectFacts) -> str | None:
    namespace = project.path_with_namespace.rpartition("/")[0]
    if rule.namespace and not (
        namespace == rule.namespace or namespace.startswith(rule.namespace.rstrip("/") + "/")
    ):
        return None
    if rule.name and not fnmatchcase(project.path_with_namespace.rpartition("/")[2], rule.name):
        return None
    topics = [t for t in project.topics if not rule.topic or fnmatchcase(t, rule.topic)]
    if rule.topic and not topics:
        return None
    if rule.playbook != FROM_TOPIC:
        return rule.playbook
    named = [t[len(TOPIC_PREFIX) :] for t in topics if t.startswith(TOPIC_PREFIX)]
    return named[0].strip() if named and named[0].strip() else None
