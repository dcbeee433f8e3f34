"""A scaffolded tool-adoption engagement in the sandbox, and a first sprint walked in it: the
report tests' shared world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.engagement import facts_of
from bot.gitlab.snapshot import engagement_blueprint
from bot.playbook.blueprint import Blueprint

PATH = "acme/delivery"


@dataclass
class Scaffolded:
    sandbox: Any
    tier: str
    blueprint: Blueprint
    project: Any

    def issue(self, key: str) -> Any:
        for issue in self.project.issues.list(state="all", get_all=True, per_page=100):
            if f"key={key} " in (issue.description or ""):
                return issue
        raise KeyError(key)

    def milestone(self, key: str) -> Any:
        for milestone in self.project.milestones.list(get_all=True, per_page=100):
            if f"key={key} " in (milestone.description or ""):
                return milestone
        raise KeyError(key)


def scaffold(sandbox: Any, tier: str) -> Scaffolded:
    """A `psdm::tool-adoption` project acme/delivery, scaffolded as the service would."""
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create(
        {
            "name": "delivery",
            "path": "delivery",
            "namespace_id": group.id,
            "topics": ["psdm::tool-adoption"],
        }
    )
    port = connect(sandbox.url, sandbox.token, PATH)
    # the weekly job's reconcile: the playbook plus this week's status issue
    blueprint = engagement_blueprint(facts_of(port.load())).with_status_week(date.today())
    assert apply(diff(blueprint, port.read_live(blueprint)), port).ok
    return Scaffolded(sandbox, tier, blueprint, gl.projects.get(PATH))


def walk_first_sprint(s: Scaffolded) -> dict[str, Any]:
    """Close two discovery issues, one sprint-1 issue and sprint 1; add a risk and an action."""
    discovery = [
        i.key for i in s.blueprint.issues if i.epic == "epic:discovery" and i.kind == "work"
    ]
    for key in discovery[:2]:
        issue = s.issue(key)
        issue.state_event = "close"
        issue.save()
    sprint_work = [
        i.key
        for i in s.blueprint.issues
        if i.milestone == "milestone:sprint-1" and i.kind == "work"
    ]
    done = s.issue(sprint_work[0])
    done.state_event = "close"
    done.save()
    sprint = s.milestone("milestone:sprint-1")
    sprint.state_event = "close"
    sprint.save()
    s.project.issues.create(
        {
            "title": "Source tokens expire during wave 1",
            "labels": "PS RAID Log,PS Risk,PS:: Priority High,Escalated",
        }
    )
    retro = s.issue("issue:sprint-1/retrospective")
    retro.description = "## Action items\n\n- [ ] Book the SSO workshop\n\n" + retro.description
    retro.save()
    return {"discovery_closed": 2, "sprint_work": len(sprint_work)}
