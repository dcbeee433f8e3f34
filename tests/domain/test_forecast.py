"""The forecast that holds: three sprints replayed with slips and a re-slipped item.

After each sprint the remaining work must be exactly what GitLab holds open in the sprint work
(each item once, wherever it slipped to), the velocity one figure for every view, and an item
done without a weight must count for something.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pytest

from bot.domain.figures import engagement_figures
from bot.domain.metrics import forecast_of
from bot.domain.model import LiveIssue
from tests.domain.world import blueprint, live

SPRINTS = ("milestone:sprint-1", "milestone:sprint-2", "milestone:sprint-3")
IDS = {t.key: n for n, t in enumerate(blueprint().timeboxes, 1)}
BOXES = {t.key: t for t in blueprint().timeboxes}


@dataclass
class Item:
    """One issue as GitLab holds it in the replay."""

    iid: int
    weight: int | None
    sprint: str
    labels: tuple[str, ...] = ()
    closed: bool = False
    left: list[str] = field(default_factory=list)

    def live(self) -> LiveIssue:
        return LiveIssue(
            self.iid,
            f"Item {self.iid}",
            "closed" if self.closed else "opened",
            self.labels,
            self.weight,
            IDS[self.sprint],
            None,
            left_sprints=tuple(IDS[k] for k in self.left),
        )


def start() -> dict[int, Item]:
    items = [
        Item(1, 3, SPRINTS[0]),
        Item(2, 5, SPRINTS[0]),  # slips from Sprint 1, and again from Sprint 2
        Item(3, 2, SPRINTS[0]),
        Item(4, None, SPRINTS[0]),  # done without a weight: counts the default weight, 1
        Item(5, 8, SPRINTS[1]),
        Item(6, 3, SPRINTS[1]),
        Item(7, 5, SPRINTS[2]),
        Item(8, 2, SPRINTS[2]),
        Item(9, 4, SPRINTS[0], labels=("Ceremony",)),  # a ceremony: never work, never left
    ]
    return {i.iid: i for i in items}


# (items done in the sprint, velocity of the sprint in weight)
REPLAY = [
    ((1, 4), 4),  # 2 and 3 slip to Sprint 2
    ((3, 5), 10),  # 2 slips again, 6 slips; both to Sprint 3
    ((2, 7), 10),  # 6 and 8 slip to Sprint 4
]


def close_sprint(items: dict[int, Item], number: int, done: tuple[int, ...]) -> None:
    """The sprint's done items close; its open work moves on to the next sprint, as the bot's
    sprint close does (GitLab's milestone events then say which sprint it left)."""
    sprint, following = SPRINTS[number], f"milestone:sprint-{number + 2}"
    for iid in done:
        items[iid].closed = True
    for item in items.values():
        if item.sprint == sprint and not item.closed and "Ceremony" not in item.labels:
            item.left.append(sprint)
            item.sprint = following


def open_weight(items: dict[int, Item]) -> int:
    """What GitLab holds open in the sprint work, each issue once (1 for an unweighted item)."""
    return sum(
        1 if i.weight is None else i.weight
        for i in items.values()
        if not i.closed and "Ceremony" not in i.labels
    )


def snapshot_after(items: dict[int, Item], sprints_closed: int):
    closed = SPRINTS[:sprints_closed]
    found = [i.live() for i in items.values()]
    today = BOXES[SPRINTS[sprints_closed - 1]].due_date + timedelta(days=1)
    return engagement_figures(live(found, closed), blueprint(), today)


def test_after_each_of_three_sprints_the_forecast_holds_what_gitlab_holds_open() -> None:
    items = start()
    velocities: list[int] = []
    for number, (done, expected_velocity) in enumerate(REPLAY):
        close_sprint(items, number, done)
        velocities.append(expected_velocity)
        snapshot = snapshot_after(items, number + 1)
        outlook = forecast_of(snapshot)
        left = open_weight(items)

        assert snapshot.velocity_unit == "weight"
        assert outlook.remaining == left == snapshot.remaining.weight_open
        sprint = snapshot.sprint(SPRINTS[number])
        assert sprint is not None and sprint.velocity == expected_velocity
        # one reply, one velocity: the status line and the forecast read the same figure
        pace = round(sum(velocities) / len(velocities), 1)
        assert snapshot.velocity == outlook.velocity == pace
        needed = math.ceil(left / pace)
        end = BOXES[SPRINTS[number]].due_date
        assert outlook.finish == end + timedelta(days=14 * needed)


@pytest.mark.parametrize(("sprints_closed", "left"), [(1, 25), (2, 15), (3, 5)])
def test_the_remaining_weight_after_each_sprint_with_known_answers(sprints_closed, left) -> None:
    """Known answers: after Sprint 1, 2 (5) + 3 (2) + 5 (8) + 6 (3) + 7 (5) + 8 (2) = 25 left,
    where counting each finished sprint's slipped work again would say 32."""
    items = start()
    for number, (done, _) in enumerate(REPLAY[:sprints_closed]):
        close_sprint(items, number, done)
    snapshot = snapshot_after(items, sprints_closed)
    assert forecast_of(snapshot).remaining == left


def test_a_re_slipped_item_counts_as_slipped_in_each_sprint_it_left_but_remains_once() -> None:
    items = start()
    for number, (done, _) in enumerate(REPLAY[:2]):
        close_sprint(items, number, done)
    snapshot = snapshot_after(items, 2)
    slipped = {s.key: [r.iid for r in s.slipped_issues] for s in snapshot.sprints if s.finished}
    assert 2 in slipped[SPRINTS[0]] and 2 in slipped[SPRINTS[1]]
    assert snapshot.remaining.open == sum(
        1 for i in items.values() if not i.closed and "Ceremony" not in i.labels
    )


def test_an_item_done_without_weight_adds_the_default_weight_to_the_velocity() -> None:
    items = start()
    close_sprint(items, 0, REPLAY[0][0])
    one = snapshot_after(items, 1).sprint(SPRINTS[0])
    assert one is not None and (one.weight_done, one.done) == (4, 2)
    planned = replace(blueprint(), variables={**blueprint().variables, "default_weight": "3"})
    found = [i.live() for i in items.values()]
    today = BOXES[SPRINTS[0]].due_date + timedelta(days=1)
    snapshot = engagement_figures(live(found, SPRINTS[:1]), planned, today)
    weighted = snapshot.sprint(SPRINTS[0])
    assert weighted is not None and weighted.weight_done == 6


def test_work_outside_the_sprints_is_not_sprint_work() -> None:
    items = start()
    close_sprint(items, 0, REPLAY[0][0])
    found = [i.live() for i in items.values()]
    elsewhere = LiveIssue(50, "Discovery work", "opened", (), 13, IDS["milestone:discovery"], None)
    today = BOXES[SPRINTS[0]].due_date + timedelta(days=1)
    snapshot = engagement_figures(live([*found, elsewhere], SPRINTS[:1]), blueprint(), today)
    assert snapshot.remaining.weight_open == open_weight(items)


def test_dates_replayed_are_the_playbooks_sprints() -> None:
    """The replay's sprints are two weeks each, one after the other, as the forecast assumes."""
    dates = [(BOXES[k].start_date, BOXES[k].due_date) for k in SPRINTS]
    for (begin, end), (following, _) in itertools.pairwise(dates):
        assert isinstance(begin, date) and end is not None and following is not None
        assert (end - begin).days + 1 == 14 and following == end + timedelta(days=1)
