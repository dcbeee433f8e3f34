"""The Close phase as a PS manager lives it, on each tier: the engagement passes Scaling's gate
into Close, a retrospective earns `RetroComplete` only once its actions are done (and loses it
when one reopens), and the reporting labels follow the close-out checklist's ticks, with the
TA review as a scoped pair.

Each person's step goes through GitLab's API; the Issue Hook it fires (a project hook to a
receiver over loopback) goes through the service's router; the actions it names are decided on
a fresh read and performed with the event's UUID, as the service does, so the bot's own writes
fire no further hook.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from bot.domain import decisions
from bot.domain.effects import Decision
from bot.events.actions import ISSUES, FollowCloseOut, FollowRetrospectives
from bot.events.event import Event
from bot.events.router import Context
from bot.events.routes import build_router
from bot.gitlab.commands import Performer
from bot.gitlab.engagement import EngagementGitLab
from tests.sandbox.conftest import Receiver
from tests.scenarios.support import Engagement, Life, start

pytestmark = pytest.mark.xdist_group("engagement-life")
CLOSE_ISSUES = (
    "issue:close/acceptance",
    "issue:close/knowledge-transfer",
    "issue:close/handover",
    "issue:close/csat-survey",
    "issue:close/close-out",
    "issue:customer-retrospective",
)


@dataclass
class Bot:
    """The service's path for one engagement, fed by the receiver's deliveries."""

    life: Life
    receiver: Receiver
    router: Any = field(default_factory=build_router)

    def person(self, key: str | None = None, *, iid: int | None = None, **change: Any) -> int:
        """A person changes the issue (`key`, or `iid`) through the API; the bot follows."""
        issue = self.life.issue(key) if key else self.life.engagement.project.issues.get(iid)
        self.receiver.clear()
        for name, value in change.items():
            setattr(issue, name, value)
        issue.save()
        self.follow(int(issue.iid))
        return int(issue.iid)

    def follow(self, iid: int) -> None:
        delivery = self._delivery(iid)
        event = Event.from_delivery(
            delivery.headers["x-gitlab-event"],
            delivery.json,
            delivery.headers.get("x-gitlab-event-uuid"),
        )
        actions = [
            a
            for a in self.router.dispatch(event, Context())
            if isinstance(a, FollowRetrospectives | FollowCloseOut)
        ]
        sandbox = self.life.engagement.sandbox
        gl = EngagementGitLab(
            sandbox.url, sandbox.token, self.life.engagement.path, event_uuid=event.event_uuid
        )
        live = gl.read({ISSUES})
        for action in actions:
            decided = action.decide(live, self.life.choice, self.life.blueprint, date.today())
            assert isinstance(decided, Decision)
            for effect in decided.effects:
                Performer(gl).perform(effect)

    def _delivery(self, iid: int) -> Any:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for delivery in self.receiver.events("Issue Hook"):
                if delivery.json["object_attributes"]["iid"] == iid:
                    return delivery
            time.sleep(0.01)
        raise AssertionError(f"no Issue Hook for #{iid}")

    def labels(self, key: str) -> set[str]:
        return set(self.life.issue(key).labels)

    def epic_labels(self) -> set[str]:
        epic = self.life.read().epic_by_key("epic:engagement")
        assert epic is not None
        return set(epic.labels)

    def notes(self, key: str) -> list[str]:
        return [n.body for n in self.life.issue(key).notes.list(get_all=True)]


def into_close(engagement: Engagement, receiver: Receiver) -> Bot:
    """The engagement in Scaling after its pilot's go; its last wave's gate closed moves it
    into Close."""
    life = start(engagement)
    life.close("issue:sprinting/go-no-go")  # the pilot went; earlier gates are forced past
    life.perform(decisions.phase(life.read(), life.blueprint, "scaling", force=True))
    # each wave's exit gate passes in turn; the last one's ends Scaling
    waves = [i.key for i in life.blueprint.issues if i.key.endswith("/validation")]
    for wave in waves:
        gate = life.close(wave)
        life.perform(decisions.phase_progress(life.read(), life.blueprint, gate, date.today()))
    assert life.phase_labels() == {"PSDM Phase::Close"}
    keys = {i.key for i in life.read().issues}
    assert set(CLOSE_ISSUES) <= keys
    engagement.project.hooks.create({"url": receiver.url, "issues_events": True})
    return Bot(life, receiver)


def test_retro_complete_waits_for_every_action_and_goes_on_reopen(
    engagement: Engagement, receiver: Receiver
) -> None:
    bot = into_close(engagement, receiver)
    retro = "issue:customer-retrospective"
    follow_up = engagement.project.issues.create({"title": "Hand the runbooks to the SRE team"})
    actions = (
        f"## Action items\n\n- [ ] #{follow_up.iid} Hand the runbooks over\n"
        "- [ ] Share the closure deck\n\n"
    )
    bot.person(retro, description=actions + bot.life.issue(retro).description)
    bot.person(retro, state_event="close")  # held, two actions open
    assert "RetroComplete" not in bot.labels(retro)

    ticked = bot.life.issue(retro).description.replace("- [ ] Share", "- [x] Share")
    bot.person(retro, description=ticked)  # one ticked; the other's issue is open
    assert "RetroComplete" not in bot.labels(retro)

    bot.person(iid=follow_up.iid, state_event="close")
    assert "RetroComplete" in bot.labels(retro)
    assert any("all 2 action item(s) are done" in body for body in bot.notes(retro))

    bot.person(iid=follow_up.iid, state_event="reopen")
    assert "RetroComplete" not in bot.labels(retro)
    assert any("- #" in body and "Hand the runbooks over" in body for body in bot.notes(retro))

    # a missed event heals on the sweep: the action's issue closed with no hook to tell
    issue = engagement.project.issues.get(follow_up.iid)
    issue.state_event = "close"
    issue.save()
    swept = FollowRetrospectives(bot.life.gl.project)
    decided = swept.decide(bot.life.read(), bot.life.choice, bot.life.blueprint, date.today())
    bot.life.perform(decided)
    assert "RetroComplete" in bot.labels(retro)
    again = swept.decide(bot.life.read(), bot.life.choice, bot.life.blueprint, date.today())
    assert again == Decision((), "retrospectives unchanged")  # no second write

    new_action = bot.life.issue(retro).description.replace(
        "- [x] Share", "- [x] Share the closure deck\n- [ ] Send the CSAT reminder\n- [x] Sh", 1
    )
    bot.person(retro, description=new_action)
    assert "RetroComplete" not in bot.labels(retro)


def test_ticked_reporting_labels_and_the_ta_review_pair(
    engagement: Engagement, receiver: Receiver
) -> None:
    bot = into_close(engagement, receiver)
    checklist = "issue:close/close-out"

    def tick(name: str, box: str = "[x]") -> None:
        text = bot.life.issue(checklist).description
        other = "[ ]" if box == "[x]" else "[x]"
        bot.person(checklist, description=text.replace(f"- {other} {name} ", f"- {box} {name} "))

    tick("ProjectWin")
    assert "ProjectWin" in bot.labels(checklist) and "ProjectWin" in bot.epic_labels()

    tick("Delivery Kit Update")
    assert {"Delivery Kit Update", "TA::Needs-Review"} <= bot.labels(checklist)
    assert "Delivery Kit Update" in bot.epic_labels()
    assert "TA::Needs-Review" not in bot.epic_labels()

    # the TA approves; GitLab keeps scoped labels exclusive on Premium and Ultimate only
    # (GL:doc/user/project/labels.md, "Scoped labels"), so on Free the bot takes the request off
    issue = bot.life.issue(checklist)
    receiver.clear()
    issue.labels = [*issue.labels, "TA::Approved"]
    issue.save()
    both = {"TA::Approved", "TA::Needs-Review"} <= bot.labels(checklist)
    assert both is (engagement.tier == "free")
    bot.follow(int(issue.iid))
    labels = bot.labels(checklist)
    assert "TA::Approved" in labels and "TA::Needs-Review" not in labels

    tick("ProjectWin", "[ ]")
    assert "ProjectWin" not in bot.labels(checklist) and "ProjectWin" not in bot.epic_labels()
    assert "Delivery Kit Update" in bot.epic_labels()
    assert any("ProjectWin was unticked" in body for body in bot.notes(checklist))
