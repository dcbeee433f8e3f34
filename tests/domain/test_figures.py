"""The one figures function: phases, sprints, RAID, retro actions, every issue by its kind."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.domain.actions import open_actions
from bot.domain.figures import engagement_figures
from bot.domain.model import LiveIssue
from bot.report.weekly import weekly_markdown
from tests.domain.world import blueprint, issues, key_of, live


def test_current_phase_comes_from_the_label_on_the_engagement_epic() -> None:
    snapshot = engagement_figures(
        live(issues(), phase_label="PSDM Phase::Sprint 0"), blueprint(), date(2026, 1, 7)
    )
    assert snapshot.phase == "Sprint 0"
    assert [p.name for p in snapshot.phases if p.current] == ["Sprint 0"]


def test_without_a_phase_label_the_first_unfinished_phase_is_current() -> None:
    closed = ("milestone:discovery",)
    snapshot = engagement_figures(live(issues(), closed), blueprint(), date(2026, 1, 14))
    assert snapshot.phase == "Team Readiness"
    assert snapshot.phases[0].done


def test_time_boxes_take_their_state_from_gitlab_and_today() -> None:
    snapshot = engagement_figures(
        live(issues(), ("milestone:discovery",)), blueprint(), date(2026, 1, 14)
    )
    states = {t.key: t.state for t in snapshot.timeboxes}
    assert states["milestone:discovery"] == "closed"
    assert states["milestone:team-readiness"] == "active"
    assert states["milestone:sprint-0"] == "upcoming"
    assert snapshot.current_timebox.key == "milestone:team-readiness"
    assert snapshot.next_timebox.key == "milestone:sprint-0"


def test_a_time_box_missing_in_gitlab_is_reported_missing() -> None:
    engagement = live(issues())
    engagement = replace(engagement, milestones=engagement.milestones[:-1])
    snapshot = engagement_figures(engagement, blueprint(), date(2026, 1, 7))
    assert snapshot.timeboxes[-1].state == "missing"


def test_phase_progress_counts_the_phase_epics_issues_and_their_weight() -> None:
    discovery = [i for i in blueprint().issues if i.epic == "epic:discovery"]
    weighted = next(i for i in discovery if i.weight)
    closing = {i.key: {"state": "closed"} for i in discovery[:2]}
    closing[weighted.key] = {"state": "closed"}
    snapshot = engagement_figures(live(issues(**closing)), blueprint(), date(2026, 1, 7))
    tally = snapshot.phases[0].tally
    assert tally.total == len(discovery) + len(workstream_work_in("milestone:discovery"))
    assert tally.all.closed == len(closing)
    assert tally.all.weight_closed >= weighted.weight


def test_an_issue_people_added_counts_for_the_epic_gitlab_links_it_to() -> None:
    extra = LiveIssue(999, "Extra discovery work", "closed", (), 3, None, None, epic="2")
    snapshot = engagement_figures(live([*issues(), extra]), blueprint(), date(2026, 1, 7))
    discovery = [i for i in blueprint().issues if i.epic == "epic:discovery"]
    assert blueprint().epics[1].key == "epic:discovery"
    held = workstream_work_in("milestone:discovery")
    assert snapshot.phases[0].tally.total == len(discovery) + len(held) + 1
    assert snapshot.phases[0].progress.weight_closed == 3


def workstream_work_in(timebox: str) -> list:
    """The work a phase's time-box holds under no phase's epic (a workstream's stories)."""
    phase_epics = {p.epic for p in blueprint().phases}
    return [
        i
        for i in blueprint().issues
        if i.milestone == timebox and i.epic not in phase_epics and i.kind == "work"
    ]


def test_the_sprinting_phase_counts_the_sprint_work_under_workstream_epics() -> None:
    """Sprint stories sit under workstream epics: the phase counts them through its sprints,
    each once (no phase counts an item its own epic holds), and the totals agree."""
    sprints = {t.key for t in blueprint().timeboxes if t.kind == "sprint"}
    held = [k for k in sprints for _ in workstream_work_in(k)]
    done = {i.key: {"state": "closed"} for k in sprints for i in workstream_work_in(k)[:1]}
    snapshot = engagement_figures(live(issues(**done)), blueprint(), date(2026, 2, 2))
    sprinting = snapshot.phase_status("phase:sprinting")
    assert sprinting is not None and sprinting.progress.total >= len(held) > 0
    assert sprinting.progress.closed == len(done)
    in_phases = sum(p.progress.total for p in snapshot.phases)
    assert in_phases <= snapshot.totals.work.total


def test_workstream_progress_includes_issues_carrying_its_label() -> None:
    extra = LiveIssue(999, "Mirror repos", "opened", ("Workstream::Platform",), None, None, None)
    snapshot = engagement_figures(live([*issues(), extra]), blueprint(), date(2026, 1, 7))
    platform = next(w for w in snapshot.workstreams if w.key == "epic:platform")
    planned = [i for i in blueprint().issues if i.epic == "epic:platform"]
    assert platform.tally.total == len(planned) + 1


def test_a_closed_sprint_shows_done_slipped_and_velocity_without_ceremonies() -> None:
    sprint = next(t for t in blueprint().timeboxes if t.key == "milestone:sprint-1")
    work = [i for i in blueprint().issues if i.milestone == sprint.key and i.kind == "work"]
    assert len(work) >= 2
    done = {work[0].key: {"state": "closed", "weight": 5}, work[1].key: {"weight": 2}}
    snapshot = engagement_figures(
        live(issues(**done), ("milestone:sprint-1",)), blueprint(), sprint.due_date
    )
    figures = next(s for s in snapshot.sprints if s.key == sprint.key)
    assert figures.committed == len(work)
    assert figures.done == 1
    assert figures.slipped == len(work) - 1
    assert figures.weight_done == 5
    assert figures.velocity == 5
    assert snapshot.velocity == 5.0
    assert snapshot.velocity_unit == "weight"


def _sprint_after_moves(moves: dict[str, tuple[str, bool, tuple[str, ...]]], closed: tuple):
    """Sprint 1's figures when work items sit in another milestone (closed or not) and carry the
    milestones they left: key -> (milestone it sits in, closed?, milestones it left)."""
    ids = {t.key: n for n, t in enumerate(blueprint().timeboxes, 1)}
    changes = {
        key: {
            "milestone_id": ids[now],
            "state": "closed" if done else "opened",
            "left_sprints": tuple(ids[m] for m in left),
        }
        for key, (now, done, left) in moves.items()
    }
    sprint = next(t for t in blueprint().timeboxes if t.key == "milestone:sprint-1")
    snapshot = engagement_figures(live(issues(**changes), closed), blueprint(), sprint.due_date)
    return next(s for s in snapshot.sprints if s.key == sprint.key)


SPRINT_1, SPRINT_2 = "milestone:sprint-1", "milestone:sprint-2"


@pytest.mark.parametrize(
    ("moved", "closed", "committed", "done", "slipped"),
    [
        # nothing moved: the closed sprint counts what it holds, open work slipped
        (None, (SPRINT_1,), 0, 0, 0),
        # moved on after the close, still open: committed and slipped
        ((SPRINT_2, False, (SPRINT_1,)), (SPRINT_1,), 1, 0, 1),
        # moved on, then done in Sprint 2: Sprint 1 still slipped it
        ((SPRINT_2, True, (SPRINT_1,)), (SPRINT_1,), 1, 0, 1),
        # moved on and Sprint 2 closed too: Sprint 1 keeps it
        ((SPRINT_2, False, (SPRINT_1,)), (SPRINT_1, SPRINT_2), 1, 0, 1),
        # taken out before the close (left nothing closed): not Sprint 1's
        ((SPRINT_2, False, ()), (SPRINT_1,), 0, 0, 0),
        # left Sprint 2, not Sprint 1
        ((SPRINT_1, False, (SPRINT_2,)), (SPRINT_1,), 1, 0, 1),
    ],
)
def test_a_closed_sprint_keeps_the_work_moved_out_after_it_closed(
    moved, closed, committed, done, slipped
) -> None:
    work = [
        i.key for i in blueprint().issues if i.milestone == SPRINT_1 and i.kind == "work" and i.key
    ]
    base = {k: (SPRINT_2, False, ()) for k in work}  # Sprint 1's own work sits elsewhere
    picked = {work[0]: moved} if moved else {}
    figures = _sprint_after_moves({**base, **picked}, closed)
    assert (figures.committed, figures.done, figures.slipped) == (committed, done, slipped)
    # the world's sprint work is weighted, so an item without a weight counts the default 1
    weight = sum(
        1 if i.weight is None else i.weight
        for i in blueprint().issues
        if i.key in picked and slipped
    )
    assert figures.weight_committed == figures.weight_slipped == weight


def test_a_closed_sprint_adds_what_left_it_to_what_it_holds() -> None:
    work = [
        i.key for i in blueprint().issues if i.milestone == SPRINT_1 and i.kind == "work" and i.key
    ]
    first, second, *rest = work
    held = {k: (SPRINT_1, True, ()) for k in rest}
    figures = _sprint_after_moves(
        {first: (SPRINT_1, True, ()), second: (SPRINT_2, False, (SPRINT_1,)), **held}, (SPRINT_1,)
    )
    assert (figures.committed, figures.done, figures.slipped) == (len(work), len(work) - 1, 1)
    assert [i.title for i in figures.slipped_issues] == [
        next(i.title for i in blueprint().issues if i.key == second)
    ]


def test_a_running_sprint_has_nothing_slipped_yet() -> None:
    sprint = next(t for t in blueprint().timeboxes if t.key == "milestone:sprint-1")
    snapshot = engagement_figures(live(issues()), blueprint(), sprint.start_date)
    figures = next(s for s in snapshot.sprints if s.key == sprint.key)
    assert figures.state == "active"
    assert figures.slipped == 0
    assert snapshot.velocity is None


def test_raid_counts_open_items_by_severity_and_lists_escalations_first() -> None:
    raid = [
        LiveIssue(
            501,
            "Token expiry",
            "opened",
            ("PS RAID Log", "PS Risk", "PS:: Priority High"),
            0,
            None,
            None,
        ),
        LiveIssue(
            502,
            "Freeze",
            "opened",
            ("PS RAID Log", "PS Risk", "PS:: Priority Low", "Escalated"),
            0,
            None,
            None,
        ),
        LiveIssue(503, "Decide SSO", "opened", ("PS Decision",), 0, None, None),
        LiveIssue(504, "Old risk", "closed", ("PS Risk", "PS:: Priority High"), 0, None, None),
    ]
    snapshot = engagement_figures(live([*issues(), *raid]), blueprint(), date(2026, 1, 7))
    assert [i.iid for i in snapshot.raid] == [502, 501, 503]
    assert snapshot.raid_by_severity() == {"High": 1, "Medium": 0, "Low": 1, "none": 1}
    assert [i.iid for i in snapshot.escalated] == [502]
    assert snapshot.raid[2].kind == "Decision"


def test_the_raid_log_issue_itself_is_not_a_raid_item() -> None:
    snapshot = engagement_figures(live(issues()), blueprint(), date(2026, 1, 7))
    assert snapshot.raid == ()


def test_unchecked_items_leave_out_acceptance_criteria_and_checked_ones() -> None:
    text = (
        "## How can we implement that change?\n- [ ] Pair on CI templates\n- [x] Done already\n"
        "### Acceptance criteria\n\n- [ ] Improvement log updated\n"
        "## Action items\n* [ ] Book the SSO workshop\n"
    )
    assert open_actions(text) == ["Pair on CI templates", "Book the SSO workshop"]


def test_retro_actions_are_listed_once_from_the_latest_retrospective() -> None:
    first, second = key_of("sprint-1/retrospective"), key_of("sprint-2/retrospective")
    changes = {
        first: {"description": "## Action items\n- [ ] Shorter standups\n"},
        second: {"description": "## Action items\n- [ ] Shorter standups\n- [ ] Demo earlier\n"},
    }
    found = issues(**changes)
    snapshot = engagement_figures(live(found), blueprint(), date(2026, 1, 7))
    second_iid = next(i.iid for i in found if i.key == second)
    assert [(a.text, a.issue_iid) for a in snapshot.retro_actions] == [
        ("Shorter standups", second_iid),
        ("Demo earlier", second_iid),
    ]


def test_the_status_issue_is_the_one_of_the_current_week() -> None:
    first, second = blueprint().weekly_status[:2]
    made = LiveIssue(90, first.issue.title, "opened", (), None, None, first.issue.key)
    snapshot = engagement_figures(live([*issues(), made]), blueprint(), first.start_date)
    assert snapshot.status_issue == 90
    # the next week's issue is not made yet: nothing to post on until the periodic job runs
    later = engagement_figures(live([*issues(), made]), blueprint(), second.start_date)
    assert later.status_issue is None


def test_before_the_engagement_starts_no_status_issue_is_due() -> None:
    snapshot = engagement_figures(live(issues()), blueprint(), date(2025, 12, 1))
    assert snapshot.status_issue is None


def test_every_issue_is_counted_by_its_kind_and_none_goes_missing() -> None:
    # given every planned issue live, and one risk someone added outside any epic
    extra = LiveIssue(999, "Tokens expire", "opened", ("PS RAID Log", "PS Risk"), None, None, None)
    found = [*issues(), extra]
    snapshot = engagement_figures(live(found), blueprint(), date(2026, 1, 7))
    # then every issue is in the totals, the status and RAID issues as governance, not work
    assert snapshot.totals.total == len(found)
    statuses = [i for i in blueprint().issues if i.role == "status"]
    assert snapshot.totals.governance.total >= len(statuses) + 1
    # and what no phase or workstream holds is counted apart, the added risk among it
    in_groups = {
        i.iid
        for i in found
        if i.key in {p.key for p in blueprint().issues if p.epic and p.epic != "epic:engagement"}
    }
    assert snapshot.elsewhere.total == len(found) - len(in_groups)
    assert snapshot.elsewhere.governance.open >= 1
    # and phase progress is work only
    for phase in snapshot.phases:
        assert phase.progress == phase.tally.work


@pytest.mark.parametrize(
    ("sprint_1_weight", "sprint_2_weight", "velocity", "unit"),
    [
        # no weight anywhere: work items done
        (None, None, 1.0, "issues"),
        # only the planned Sprint 2 carries weight: the sprint work is weighted, and the item
        # done without a weight counts the default weight (1), never nothing
        (None, 8, 1.0, "weight"),
        # the finished sprint was weighted: weight done
        (3, None, 3.0, "weight"),
    ],
)
def test_the_velocity_is_in_weight_once_any_sprint_work_is_weighted(
    sprint_1_weight, sprint_2_weight, velocity, unit
) -> None:
    def work(sprint: str) -> list[str]:
        return [
            i.key
            for i in blueprint().issues
            if i.milestone == sprint and i.kind == "work" and i.key
        ]

    changes: dict[str, dict] = {
        i.key: {"weight": None} for i in blueprint().issues if i.kind == "work" and i.key
    }  # no weight anywhere but where the case puts one
    changes |= {k: {"weight": sprint_2_weight} for k in work(SPRINT_2)}
    changes |= {k: {"weight": None} for k in work(SPRINT_1)}
    changes[work(SPRINT_1)[0]] = {"state": "closed", "weight": sprint_1_weight}
    sprint = next(t for t in blueprint().timeboxes if t.key == SPRINT_1)
    snapshot = engagement_figures(
        live(issues(**changes), (SPRINT_1,)), blueprint(), sprint.due_date
    )
    assert (snapshot.velocity, snapshot.velocity_unit) == (velocity, unit)
    line = next(s for s in snapshot.sprints if s.key == SPRINT_1).line()
    assert line.endswith(f"velocity {velocity:g} {unit}")


@pytest.mark.parametrize(
    ("label", "dates_in", "schedule"),
    [
        ("Discovery", "milestone:discovery", None),
        ("Sprinting", "milestone:discovery", "ahead"),
        ("Discovery", SPRINT_1, "behind"),
    ],
)
def test_the_schedule_says_when_the_phase_is_ahead_of_or_behind_the_dates(
    label, dates_in, schedule
) -> None:
    box = next(t for t in blueprint().timeboxes if t.key == dates_in)
    found = live(issues(), phase_label=f"PSDM Phase::{label}")
    snapshot = engagement_figures(found, blueprint(), box.start_date)
    assert snapshot.schedule == schedule
    said = f"The phase **{label}** is {schedule} of the schedule" in weekly_markdown(snapshot)
    assert said == (schedule is not None)
