"""The generic engagement workflow: read (one durable step), decide (pure), perform each effect
as its own durable step. No rule of the engagement lives here; the domain decides.

The engagement's blueprint is rendered again from the playbook and variables recorded when the
project was scaffolded (table psdm_engagements); a project scaffolded another way (CLI, CI)
gets its playbook from the same rules instead (`bot.domain.playbooks.choose_playbook`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import PurePath

import structlog

from bot.clock import Clock
from bot.config import Settings
from bot.domain.decisions import engagement
from bot.domain.effects import (
    CreateLabel,
    Decision,
    Effect,
    Outcome,
    RecordEngagement,
    Refusal,
    RenameLabel,
    told,
)
from bot.domain.errors import NotPossible
from bot.domain.model import LiveEngagement, ProjectFacts
from bot.domain.playbooks import Asked, Choice, PlaybookRule
from bot.events.actions import Action, ScaffoldProject
from bot.events.event import Event
from bot.gitlab.clock import clock_for
from bot.gitlab.commands import Performer
from bot.gitlab.engagement import EngagementGitLab
from bot.gitlab.errors import GitLabError
from bot.playbook import render
from bot.playbook.blueprint import Blueprint
from bot.playbook.playbook import Catalog, load_named_playbook, playbook_catalog
from bot.playbook.problems import PlaybookError
from bot.service.durable import step
from bot.service.metrics import LABELS_RESTORED, count_gitlab_response
from bot.service.store import Engagement, Store
from bot.service.workflows import SWEEP, batched

log = structlog.get_logger("psdm.runners")


# The playbooks events and comments may name: shipped ones plus the configured files. A name
# from outside is looked up here and never read as a path (docs/security.md).
_catalog: Catalog = playbook_catalog()


def use_playbooks(configured: Mapping[str, str]) -> None:
    """Make the configured playbook files available by name to every way in of the service."""
    global _catalog
    _catalog = playbook_catalog(configured)
    _blueprint.cache_clear()


@lru_cache(maxsize=64)
def _blueprint(playbook: str, variables: tuple[tuple[str, str], ...]) -> Blueprint:
    try:
        return render(load_named_playbook(playbook, _catalog), dict(variables))
    except PlaybookError as error:
        # Rendering points at the files it read on this host; a reply shows their names only.
        named = [replace(p, file=PurePath(p.file).name) for p in error.problems]
        raise PlaybookError(named) from None


def blueprint_of(choice: Choice) -> Blueprint:
    """The blueprint of a playbook choice (rendered once per process and choice)."""
    return _blueprint(choice.playbook, tuple(sorted(choice.variables.items())))


def read_today(gl: EngagementGitLab, parts: Collection[str]) -> tuple[LiveEngagement, date]:
    """The read step: what the decisions need, and the day they are taken on (so a replay
    of the workflow decides on the same day's figures)."""
    return gl.read(parts), gl.clock.today()


class Engagements:
    """Reads, decides and performs for one project; shared by events and commands."""

    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or clock_for(settings.clock, settings.gitlab_url, settings.gitlab_token)
        """The date every decision of the service is taken on."""
        use_playbooks(settings.playbooks)
        self.rules = tuple(
            PlaybookRule(r.playbook, r.namespace, r.topic, r.name, r.variables)
            for r in settings.rules
        )

    def gitlab(self, project_id: int, event: Event) -> EngagementGitLab:
        """The project's one client for this workflow: its writes carry the event's UUID."""
        return EngagementGitLab(
            self.settings.gitlab_url,
            self.settings.gitlab_token,
            project_id,
            event_uuid=event.event_uuid,
            on_response=count_gitlab_response,
            clock=self.clock,
            incremental=event.kind == SWEEP,
        )

    def recorded(self, project_id: int) -> Choice | None:
        found = self.store.engagement(project_id)
        return Choice(found.playbook, found.variables) if found else None

    def engaged(self, facts: ProjectFacts, asked: Asked | None = None) -> tuple[Choice, Blueprint]:
        """The project's playbook and blueprint; NotPossible when it is no engagement."""
        return engagement(facts, self.recorded(facts.id), asked, self.rules, blueprint_of)

    def perform(
        self, gl: EngagementGitLab, outcome: Outcome, name: str, trigger: str = "event"
    ) -> tuple[bool, str]:
        """Each effect as its own durable step; what the person is told, and whether it all went.

        A refusal met while performing (GitLab in a state the decision could not see) ends the
        run there and is told like any other.
        """
        if isinstance(outcome, Refusal):
            return False, outcome.reason
        results: list[str] = []
        for number, effect in enumerate(outcome.effects, start=1):
            done, result = step(
                f"{name}: {_named(effect)} {number}", self.effect, gl, effect, trigger
            )
            if not done:
                return False, " ".join([*_so_far(outcome, results), result])
            results.append(result)
        return True, told(outcome, results)

    def effect(self, gl: EngagementGitLab, effect: Effect, trigger: str) -> tuple[bool, str]:
        try:
            if isinstance(effect, RecordEngagement):
                return True, self.record(effect)
            result = Performer(gl).perform(effect)
        except NotPossible as refused:
            return False, _sentence(refused.reason)
        except GitLabError as error:
            return False, error.message
        if isinstance(effect, CreateLabel | RenameLabel):
            LABELS_RESTORED.labels(trigger=trigger).inc()
        return True, result

    def record(self, effect: RecordEngagement) -> str:
        engagement = Engagement(
            effect.project_id, effect.path, effect.playbook, dict(effect.variables)
        )
        if effect.first_only:
            self.store.save_engagement(engagement)
        else:
            self.store.replace_engagement(engagement)
        return effect.playbook


def _named(effect: Effect) -> str:
    return type(effect).__name__


def _sentence(reason: str) -> str:
    text = reason[:1].upper() + reason[1:]
    return text if text[-1:] in (".", "?", "!", ":", "\n") else text + "."


def _so_far(decision: Decision, results: Sequence[str]) -> list[str]:
    done = Decision(decision.effects[: len(results)], decision.said)
    text = told(done, list(results))
    return [text] if text else []


class EngagementRunners:
    """Every engagement event: one read for the event's actions, then each decision."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.engagements = Engagements(settings, store)

    @batched
    def run(self, actions: Sequence[Action], event: Event) -> list[str]:
        if not actions:
            return []
        project_id = actions[0].project_id
        gl = self.engagements.gitlab(project_id, event)
        parts = frozenset().union(*(a.needs for a in actions))
        live, today = step("read the project", read_today, gl, parts)
        try:
            choice, blueprint = self.engagements.engaged(live.project)
        except NotPossible as refused:
            if any(isinstance(a, ScaffoldProject) for a in actions):
                path = live.project.path_with_namespace
                return [f"{path}: not scaffolded, {refused.reason}"]
            return ["not an engagement"]
        outcomes = []
        for action in actions:
            decided = action.decide(live, choice, blueprint, today)
            trigger = "sweep" if event.kind == SWEEP else "event"
            _, text = self.engagements.perform(gl, decided, type(action).__name__, trigger)
            outcomes.append(text or "nothing to do")
        return outcomes
