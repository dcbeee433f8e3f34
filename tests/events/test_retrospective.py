from bot.engine.marker import Marker, parse
from bot.events.retrospective import (
    QUESTIONS,
    SprintIssue,
    completed_description,
    figures,
    section,
    unchecked_actions,
)

ISSUES = [
    SprintIssue(1, "Kickoff", True, 2),
    SprintIssue(2, "Migrate", False, 3),
    SprintIssue(3, "Train", True, None),
]


def test_figures_count_done_and_slipped_issues_and_their_weight():
    numbers = figures(ISSUES)
    assert (numbers.done, numbers.slipped, numbers.weight_done, numbers.weight_slipped) == (
        2,
        1,
        2,
        3,
    )


def test_only_unchecked_items_under_action_items_carry_over():
    previous = "\n".join(
        [
            "## What went well?",
            "- [ ] not an action",
            "## Action items",
            "- [x] done already",
            "- [ ] Shorten the standup",
            "* [ ] Book the demo room",
            "## Notes",
            "- [ ] ignored too",
        ]
    )
    assert unchecked_actions(previous) == ["Shorten the standup", "Book the demo room"]


def test_completing_keeps_the_text_and_marker_and_replaces_only_our_section():
    marker = Marker.of("issue:sprint-2/retrospective", {"title": "Sprint 2 retrospective"})
    original = f"Facilitator: the PM.\n\n## What went well?\n\nDemo.\n\n{marker.render()}"
    first = completed_description(original, section("Sprint 2", figures(ISSUES), [], ["A"]))
    again = completed_description(first, section("Sprint 2", figures(ISSUES[:1]), [], []))
    text, kept = parse(again)
    assert kept == marker
    assert again.rstrip().endswith(marker.render())
    assert "Demo." in text and text.count("## Sprint figures") == 1
    assert "| done | 1 | 2 |" in text and "- [ ] A" not in text
    for question in QUESTIONS:
        assert text.count(question) == 1


def test_the_section_lists_slipped_issues_and_carried_items():
    owned = section("Sprint 3", figures(ISSUES), [ISSUES[1]], ["Book the demo room"])
    assert "- #2 Migrate" in owned
    assert "- [ ] Book the demo room" in owned
    assert "| slipped | 1 | 3 |" in owned
