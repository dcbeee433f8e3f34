from bot.events.phases import (
    Progress,
    advance_note,
    next_phase,
    phase_ended_by,
    phase_of_epic,
    workflow_label_for,
    workflow_labels,
)
from bot.playbook.blueprint import Blueprint, Label, Phase

WORKFLOW = ("PSD Workflow::Not Started", "PSD Workflow::In Progress", "PSD Workflow::Done")
BLUEPRINT = Blueprint(
    playbook="t",
    labels=tuple(Label(f"label:{n}", n, "#000000") for n in (*WORKFLOW, "PS Risk")),
    phases=(
        Phase(
            "phase:discovery",
            "Discovery",
            "PSDM Phase::Discovery",
            "epic:discovery",
            ("milestone:discovery",),
        ),
        Phase(
            "phase:sprinting",
            "Sprinting",
            "PSDM Phase::Sprinting",
            "epic:sprinting",
            ("milestone:sprint-1", "milestone:sprint-2"),
        ),
    ),
)


def test_a_phase_ends_with_its_last_time_box_only():
    assert phase_ended_by(BLUEPRINT, "milestone:discovery").name == "Discovery"
    assert phase_ended_by(BLUEPRINT, "milestone:sprint-1") is None
    assert phase_ended_by(BLUEPRINT, "milestone:sprint-2").name == "Sprinting"


def test_the_next_phase_follows_playbook_order_and_ends_after_the_last():
    discovery, sprinting = BLUEPRINT.phases
    assert next_phase(BLUEPRINT, discovery) == sprinting
    assert next_phase(BLUEPRINT, sprinting) is None
    assert phase_of_epic(BLUEPRINT, "epic:sprinting") == sprinting
    assert "moves on to Sprinting" in advance_note(discovery, sprinting, "its time-box closed")
    assert "last phase" in advance_note(sprinting, None, "all issues done")


def test_workflow_labels_follow_the_issue_state():
    names = workflow_labels(BLUEPRINT)
    assert names == WORKFLOW
    assert workflow_label_for("closed", names) == "PSD Workflow::Done"
    assert workflow_label_for("opened", names) == "PSD Workflow::In Progress"
    assert workflow_label_for("closed", ()) is None


def test_progress_is_complete_only_when_every_issue_is_done():
    assert Progress(3, 3).complete and not Progress(2, 3).complete and not Progress(0, 0).complete
    assert Progress(1, 4).line(BLUEPRINT.phases[0]) == "Discovery: 1 of 4 issues done (25%)"
