"""What the scenarios share: the sample blueprint, the engagement under test, its checks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from bot.domain.effects import Decision, Outcome, RecordEngagement
from bot.domain.model import LiveEngagement
from bot.domain.playbooks import Choice
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.engine.marker import parse
from bot.gitlab import GitLabProject, connect
from bot.gitlab.commands import Performer
from bot.gitlab.engagement import DORA, EVERYTHING, EngagementGitLab
from bot.gitlab.kinds.epics.store import split_children
from bot.gitlab.notes import _notes
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint

ACME = {"customer": "Acme Corp", "start_date": "2026-01-06"}


@cache
def tool_adoption() -> Blueprint:
    return render(load_playbook("tool-adoption"), ACME)


@dataclass
class Engagement:
    """The sandbox, a group `acme` and its empty project `acme/delivery`."""

    sandbox: Any
    tier: str
    path: str = "acme/delivery"

    def port(self, **options: Any) -> GitLabProject:
        return connect(self.sandbox.url, self.sandbox.token, self.path, **options)

    def apply(self, blueprint: Blueprint, port: GitLabProject | None = None):
        port = port or self.port()
        plan = diff(blueprint, port.read_live(blueprint))
        return plan, apply(plan, port)

    def plan(self, blueprint: Blueprint):
        return diff(blueprint, self.port().read_live(blueprint))

    @property
    def project(self):
        return self.sandbox.gitlab().projects.get(self.path)


def titles(items) -> Counter[str]:
    return Counter(item.title for item in items)


def group_epics(engagement: Engagement) -> list:
    return engagement.sandbox.gitlab().groups.get("acme").epics.list(get_all=True)


def epic_parent(engagement: Engagement, epic: Any, epics: list[Any]) -> int | None:
    """The iid of the epic's parent as the tier shows it: the real parent on Ultimate; on
    Premium, which has no parent epics, the epic whose list of children names it."""
    if engagement.tier == "ultimate" or epic.parent_iid is not None:
        return epic.parent_iid
    return next((e.iid for e in epics if epic.iid in split_children(e.description)[1]), None)


def assert_built_once(engagement: Engagement) -> None:
    """Every blueprint object exists exactly once, and each issue sits under its epic (of the
    group's epics, those not marked for another project's engagement)."""
    blueprint = tool_adoption()
    project = engagement.project
    issues = project.issues.list(get_all=True, state="all")
    by_title = {issue.title: issue for issue in issues}
    expected = [issue.title for issue in blueprint.issues]
    if engagement.tier == "free":
        expected += [epic.title for epic in blueprint.epics]
    assert titles(issues) == Counter(expected)
    assert titles(project.milestones.list(get_all=True)) == Counter(
        tb.title for tb in blueprint.timeboxes
    )
    labels = project.labels.list(get_all=True, include_ancestor_groups=True)
    assert Counter(label.name for label in labels) >= Counter(lb.name for lb in blueprint.labels)
    assert max(Counter(label.name for label in labels).values()) == 1
    boards = {board.name: board for board in project.boards.list(get_all=True)}
    for board in blueprint.boards:
        lists = sorted(boards[board.name].attributes["lists"], key=lambda item: item["position"])
        assert [item["label"]["name"] for item in lists] == list(board.lists)
        scope = {label["name"] for label in boards[board.name].attributes["labels"]}
        assert scope == (set() if engagement.tier == "free" else set(board.labels))
    epic_titles = {epic.key: epic.title for epic in blueprint.epics}
    if engagement.tier in ("premium", "ultimate"):
        live_epics = [
            epic
            for epic in group_epics(engagement)
            if (marker := parse(epic.description)[1]) is None or marker.belongs_to(project.id)
        ]
        assert titles(live_epics) == Counter(epic_titles.values())
        epics = {epic.title: epic for epic in live_epics}
        for issue in blueprint.issues:
            live = by_title[issue.title]
            assert (live.epic or {}).get("iid") == (
                epics[epic_titles[issue.epic]].iid if issue.epic else None
            ), issue.key
        for epic in blueprint.epics:
            parent = epics[epic_titles[epic.parent]] if epic.parent else None
            if engagement.tier == "ultimate":
                assert epics[epic.title].parent_iid == (parent.iid if parent else None), epic.key
                continue
            # Premium has no parent epics: the parent lists its children, each carries the
            # engagement's scoped label
            assert epics[epic.title].parent_iid is None, epic.key
            assert f"psdm-engagement::{project.path}" in epics[epic.title].labels, epic.key
            if parent is not None:
                assert epics[epic.title].iid in split_children(parent.description)[1], epic.key
    else:
        for epic in blueprint.epics:
            parent = by_title[epic.title]
            linked = {link.title for link in parent.links.list(get_all=True)}
            children = {i.title for i in blueprint.issues if i.epic == epic.key}
            assert children <= linked, epic.key


def rendered(choice: Choice) -> Blueprint:
    return _rendered(choice.playbook, tuple(sorted(choice.variables.items())))


@cache
def _rendered(playbook: str, variables: tuple[tuple[str, str], ...]) -> Blueprint:
    return render(load_playbook(playbook), dict(variables))


@dataclass
class Life:
    engagement: Engagement
    choice: Choice

    @property
    def blueprint(self) -> Blueprint:
        return rendered(self.choice)

    @cached_property
    def gl(self) -> EngagementGitLab:
        sandbox = self.engagement.sandbox
        return EngagementGitLab(sandbox.url, sandbox.token, self.engagement.path)

    def read(self) -> LiveEngagement:
        return self.gl.read(EVERYTHING - {DORA})

    def perform(self, outcome: Outcome) -> Outcome:
        if isinstance(outcome, Decision):
            performer = Performer(self.gl)
            for effect in outcome.effects:
                if not isinstance(effect, RecordEngagement):
                    performer.perform(effect)
        return outcome

    def issue(self, key: str):
        found = self.read().issue_by_key(key)
        assert found is not None, key
        return self.engagement.project.issues.get(found.iid)

    def close(self, key: str, tick: bool = True) -> int:
        """Close the issue, its acceptance criteria ticked first (as a gate's approver does)
        unless `tick` is False."""
        issue = self.issue(key)
        if tick:
            issue.description = (issue.description or "").replace("- [ ]", "- [x]")
        issue.state_event = "close"
        issue.save()
        return int(issue.iid)

    def phase_labels(self) -> set[str]:
        root = self.read().epic_by_key("epic:engagement")
        assert root is not None
        return {n for n in root.labels if n.startswith("PSDM Phase::")}

    def milestone(self, key: str):
        found = next(m for m in self.read().milestones if m.key == key)
        return found


def epic_comments(life: Life, ref: str) -> list[str]:
    """The comments on the epic where GitLab keeps them: work-item notes, or on Free the notes
    of its parent issue."""
    if life.gl.port.epics.mode == "work_items":
        return [n["body"] for n in _notes(life.gl.connection, "acme", int(ref))[1]]
    path = f"/projects/{life.gl.project}/issues/{ref}/notes"
    return [n["body"] for n in life.gl.rest.http_list(path, get_all=True)]


def start(engagement: Engagement, variables: dict[str, str] = ACME) -> Life:
    life = Life(engagement, Choice("tool-adoption", dict(variables)))
    _, result = engagement.apply(life.blueprint)
    assert result.ok, result.failed
    return life
