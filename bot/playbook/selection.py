"""Which playbook an engagement project gets: the first rule that matches it wins.

Also the variables a project supplies itself, so every way in renders the same blueprint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase

FROM_TOPIC = "from-topic"
TOPIC_PREFIX = "psdm::"


@dataclass(frozen=True)
class ProjectFacts:
    """What rules look at, read from GitLab: the creation payload carries no topics."""

    id: int
    path_with_namespace: str
    name: str
    topics: tuple[str, ...]
    created: date | None


@dataclass(frozen=True)
class PlaybookRule:
    """Conditions left None always hold; `playbook: from-topic` reads it from `psdm::<name>`."""

    playbook: str
    namespace: str | None = None
    topic: str | None = None
    name: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    playbook: str
    variables: Mapping[str, str]


def choose_playbook(project: ProjectFacts, rules: Sequence[PlaybookRule]) -> Choice | None:
    """The playbook and variables for this project, or None when no rule matches."""
    for rule in rules:
        playbook = _matches(rule, project)
        if playbook:
            return Choice(playbook, {**default_variables(project), **rule.variables})
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
