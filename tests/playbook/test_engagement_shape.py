"""The shipped playbooks as a PS engagement manager runs them: kinds, gates, pilots, close,
internal work kept internal, weekly status declared, and the content fixes of issue 12."""

from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

from bot.playbook import load_playbook, render, shipped_playbooks, validate_paths
from bot.playbook.blueprint import Blueprint

ACME = {"customer": "Acme Corp", "start_date": "2026-01-06"}
DELIVERY = ["tool-adoption", "transformation"]
GATES = {
    "phase:discovery": "issue:discovery/readout",
    "phase:team-readiness": "issue:team-readiness/checklist",
    "phase:sprint-0": "issue:sprint-0/exit",
    "phase:sprinting": "issue:sprinting/go-no-go",
    "phase:scaling": "issue:wave-3/validation",
    "phase:close": "issue:close/acceptance",
}


@cache
def rendered(name: str, **values: str) -> Blueprint:
    return render(load_playbook(name), {**ACME, **values})


def switch_values(name: str) -> list[dict[str, object]]:
    """Each value of every choice and boolean at least once, with 1 and 3 pilots."""
    spec = load_playbook(name).spec
    switches = [[("pilots", 1), ("pilots", 3)]] if "pilots" in spec.variables else []
    for var, v in spec.variables.items():
        if v.type == "choice":
            switches.append([(var, c) for c in v.choices or []])
        elif v.type == "boolean":
            switches.append([(var, False), (var, True)])
    width = max((len(s) for s in switches), default=0)
    return [dict(s[i % len(s)] for s in switches) for i in range(width)]


# --- kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", shipped_playbooks())
def test_every_issue_is_work_ceremony_or_governance_by_what_it_is(name):
    blueprint = rendered(name)
    for issue in blueprint.issues:
        assert issue.kind in ("work", "ceremony", "governance"), issue.key
        if "Ceremony" in issue.labels:
            assert issue.kind == "ceremony", issue.key
        if issue.role in ("story",):
            assert issue.kind == "work", issue.key
        if issue.role in ("raid", "status", "customer-retrospective", "internal-retrospective"):
            assert issue.kind == "governance", issue.key
    for week in blueprint.weekly_status:
        assert week.issue.kind == "governance"


def test_delivery_figures_have_work_ceremonies_and_governance():
    kinds = {i.kind for i in rendered("tool-adoption").issues}
    assert kinds == {"work", "ceremony", "governance"}


# --- gates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DELIVERY)
def test_each_phase_ends_on_its_governance_gate(name):
    blueprint = rendered(name)
    assert {p.key: p.gate for p in blueprint.phases} == GATES
    for gate in GATES.values():
        issue = blueprint.get(gate)
        assert issue.kind == "governance" and "PSDM Gate" in issue.labels


def test_without_waves_scaling_has_no_gate():
    blueprint = rendered("tool-adoption", waves="0")
    assert next(p for p in blueprint.phases if p.key == "phase:scaling").gate is None


def write(tmp_path: Path, issues: str, gate: str) -> Path:
    path = tmp_path / "gated.yml"
    path.write_text(
        "name: gated\ntitle: Gated\n"
        "labels:\n  - {key: l, name: L, color: '#000000'}\n"
        f"phases:\n  - {{key: one, name: One, label: L, gate: {gate}}}\n"
        f"issues:\n{issues}",
        encoding="utf-8",
    )
    return path


def test_a_gate_must_be_an_existing_governance_issue(tmp_path):
    work = "  - {key: done, title: Done, phase: one, step: s}\n"
    problems = validate_paths([write(tmp_path, work, "done")])
    assert [p.message for p in problems] == ["gate 'done' must be a governance issue"]
    problems = validate_paths([write(tmp_path, work, "nowhere")])
    assert [p.message for p in problems] == ["gate 'nowhere' is not an issue of this engagement"]
    governance = "  - {key: done, title: Done, phase: one, step: s, kind: governance}\n"
    assert validate_paths([write(tmp_path, governance, "done")]) == []


# --- pilots --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DELIVERY)
def test_pilot_one_keeps_the_keys_of_a_single_pilot_engagement(name):
    one = {o.key for o in rendered(name).objects()}
    three = {o.key for o in rendered(name, pilots="3").objects()}
    assert one <= three
    extra = three - one
    assert extra and all(k.split(":", 1)[1].startswith(("pilot-2/", "pilot-3/")) for k in extra)


def test_each_pilot_has_its_own_phases_time_boxes_epic_and_gates_in_sequence():
    blueprint = rendered("tool-adoption", pilots="2", pilot_names="Payments, Mobile")
    assert [(p.key, p.name) for p in blueprint.pilots] == [
        ("pilot-1", "Payments"),
        ("pilot-2", "Mobile"),
    ]
    second = blueprint.pilots[1]
    assert second.phases == tuple(
        f"phase:pilot-2/{k}" for k in ("discovery", "team-readiness", "sprint-0", "sprinting")
    )
    sprinting = next(p for p in blueprint.phases if p.key == "phase:pilot-2/sprinting")
    assert sprinting.pilot == "pilot-2" and sprinting.epic == "epic:pilot-2/sprinting"
    assert sprinting.gate == "issue:pilot-2/sprinting/go-no-go"
    assert blueprint.get(sprinting.gate).milestone == "milestone:pilot-2/sprint-6"
    assert blueprint.get("milestone:pilot-2/sprint-1").title == "Mobile: Sprint 1"
    titles = [t.title for t in blueprint.timeboxes]
    assert len(titles) == len(set(titles))
    first_end = blueprint.get("milestone:sprint-6").due_date
    assert blueprint.get("milestone:pilot-2/discovery").start_date == first_end + timedelta(days=1)
    scaling = blueprint.get("milestone:wave-1").start_date
    assert scaling == blueprint.get("milestone:pilot-2/sprint-6").due_date + timedelta(days=1)
    # engagement-wide items stay single
    assert "issue:pilot-2/raid-log" not in {i.key for i in blueprint.issues}
    assert "issue:pilot-2/discovery/customer-kickoff" not in {i.key for i in blueprint.issues}
    assert "issue:pilot-2/platform/install" not in {i.key for i in blueprint.issues}


def test_parallel_pilots_start_together_and_scaling_waits_for_the_longest():
    blueprint = rendered("transformation", pilots="2", pilot_schedule="parallel")
    assert blueprint.pilot_schedule == "parallel"
    one, two = blueprint.get("milestone:discovery"), blueprint.get("milestone:pilot-2/discovery")
    assert one.start_date == two.start_date == date(2026, 1, 6)
    last = max(t.due_date for t in blueprint.timeboxes if t.kind == "sprint")
    assert blueprint.get("milestone:wave-1").start_date == last + timedelta(days=1)


# --- internal work stays internal ----------------------------------------------------------


@pytest.mark.parametrize("name", DELIVERY)
def test_no_variable_combination_puts_a_confidential_issue_in_the_customer_project(name):
    playbook = load_playbook(name)
    assert playbook.spec.audience == "customer"
    # every combination: no item is confidential whatever its `when`, and rendering refuses
    # one in a customer-facing playbook (test_a_customer_playbook_refuses_...)
    items = [*playbook.spec.issues, playbook.spec.weekly_status]
    assert not [item.key for item in items if item and item.confidential]
    for values in switch_values(name):
        blueprint = render(playbook, {**ACME, **values})
        assert not [i.key for i in blueprint.issues if i.confidential], values
        assert "internal-retrospective" not in {i.role for i in blueprint.issues}


def test_the_internal_lifecycle_holds_the_internal_work_and_one_internal_retrospective():
    lifecycle = rendered("ps-lifecycle")
    keys = {i.key for i in lifecycle.issues}
    assert {"issue:initiate/em-ps-transition", "issue:initiate/prepare-support"} <= keys
    assert [i.key for i in lifecycle.issues if i.role == "internal-retrospective"] == [
        "issue:internal-retrospective"
    ]


def test_a_customer_playbook_refuses_a_confidential_issue(tmp_path):
    path = tmp_path / "leak.yml"
    path.write_text(
        "name: leak\ntitle: Leak\nissues:\n"
        "  - {key: secret, title: Secret, phase: p, step: s, confidential: true}\n"
        "phases:\n  - {key: p, name: P, label: L}\n"
        "labels:\n  - {key: l, name: L, color: '#000000'}\n",
        encoding="utf-8",
    )
    messages = [p.message for p in validate_paths([path])]
    assert any("no confidential issue" in m for m in messages)


def test_the_delivery_links_the_internal_epic_by_variable():
    blueprint = rendered(
        "tool-adoption", internal_epic="https://gitlab.example/groups/ps/-/epics/7"
    )
    close_out = blueprint.get("issue:close/close-out")
    assert "https://gitlab.example/groups/ps/-/epics/7" in close_out.description


# --- close ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DELIVERY)
def test_the_close_phase_ends_the_engagement(name):
    blueprint = rendered(name)
    close = blueprint.phases[-1]
    assert close.name == "Close" and close.timeboxes == ("milestone:close",)
    issues = {i.key for i in blueprint.issues if i.phase == "phase:close"}
    assert {
        "issue:close/acceptance",
        "issue:close/knowledge-transfer",
        "issue:close/handover",
        "issue:close/csat-survey",
        "issue:close/close-out",
        "issue:customer-retrospective",
    } <= issues
    assert blueprint.timeboxes[-1].key == "milestone:close"
    labels = {label.name: label.description for label in blueprint.labels}
    for name_ in ("ProjectWin", "CustomerStory", "Delivery Kit Update", "RetroComplete"):
        assert labels[name_]
    assert "TA::Needs-Review" in labels and "TA::Approved" in labels
    assert "TA:Approved" not in labels


# --- content -------------------------------------------------------------------------------


def test_tool_adoption_chooses_and_installs_the_platform_before_anything_needs_it():
    blueprint = rendered("tool-adoption")
    assert blueprint.get("issue:platform/reference-architecture").milestone == "milestone:sprint-0"
    assert blueprint.get("issue:platform/install").milestone == "milestone:sprint-0"
    assert blueprint.get("issue:sprint-0/migration-tooling").milestone == "milestone:sprint-1"
    access = blueprint.get("issue:discovery/system-access")
    assert "destination" not in access.title
    saas = rendered("tool-adoption", deployment="saas")
    assert saas.get("issue:sprint-0/migration-tooling").milestone == "milestone:sprint-0"
    assert "destination" in saas.get("issue:discovery/system-access").title


def test_the_named_ci_cd_offerings_are_switchable():
    offerings = {
        "devsecops_workshop": "issue:cicd/workshop",
        "cicd_workshop": "issue:cicd/cicd-workshop",
        "app_transformation": "issue:cicd/app-transformation",
        "app_modernization": "issue:cicd/app-modernization",
    }
    for variable, key in offerings.items():
        on = {i.key for i in rendered("tool-adoption", **{variable: "true"}).issues}
        off = {i.key for i in rendered("tool-adoption", **{variable: "false"}).issues}
        assert key in on and key not in off


def test_discovery_and_team_readiness_lengths_are_variables():
    blueprint = rendered("transformation", discovery_weeks="3", team_readiness_weeks="2")
    discovery = blueprint.get("milestone:discovery")
    readiness = blueprint.get("milestone:team-readiness")
    assert (discovery.due_date - discovery.start_date).days == 20
    assert (readiness.due_date - readiness.start_date).days == 13


def test_the_kickoff_presents_the_principles_the_steps_and_the_vocabulary():
    kickoff = rendered("tool-adoption").get("issue:discovery/customer-kickoff").description
    for words in ("eight principles", "11 steps", "a sprint is an iteration", "milestone"):
        assert words in kickoff
    iteration_0 = next(x for x in rendered("tool-adoption").labels if x.name == "Iteration 0")
    assert "Not the Sprint 0 time-box" in iteration_0.description


def test_raid_covers_assumptions_and_dependencies():
    blueprint = rendered("tool-adoption")
    assert {"PS Assumption", "PS Dependency"} <= {label.name for label in blueprint.labels}
    assert {"PS Assumption", "PS Dependency"} <= set(blueprint.get("board:raid").lists)
    assert "`PS Dependency`" in blueprint.get("issue:raid-log").description


def test_tool_adoption_kpis_are_labelled_tracking_issues():
    blueprint = rendered("tool-adoption")
    kpis = {
        name: [i.key for i in blueprint.issues if name in i.labels]
        for name in (
            "KPI::Users Onboarded",
            "KPI::Repositories Migrated",
            "KPI::Pipelines Converted",
            "KPI::Scanners Retired",
        )
    }
    assert kpis["KPI::Repositories Migrated"] == [
        f"issue:wave-{n}/kpi-repositories" for n in (1, 2, 3)
    ]
    assert all(kpis.values())
    for keys in kpis.values():
        for key in keys:
            issue = blueprint.get(key)
            assert issue.kind == "governance" and "Acceptance criteria" not in issue.description


def test_business_outcomes_lead_the_engagement_and_the_status():
    outcome = "Release monthly instead of quarterly"
    blueprint = rendered("transformation", business_outcomes=outcome)
    assert outcome in blueprint.get("epic:engagement").description
    assert outcome in blueprint.weekly_status[0].issue.description
    assert blueprint.variables["business_outcomes"] == outcome


def test_ps_lifecycle_stages_line_up_with_the_delivery():
    lifecycle = rendered("ps-lifecycle")
    delivery = rendered("tool-adoption")
    assert [p.name for p in lifecycle.phases] == [
        "Positioning",
        "Scoping",
        "Delivery Prep",
        "SOW Execution and Close",
        "Initiate and Plan",
        "Deliver, Train and Monitor",
        "Deploy and Close",
    ]
    for phase in lifecycle.phases:
        stage = lifecycle.get(phase.timeboxes[0])
        assert stage.title == phase.name and "DRI:" in stage.description
    labels = {label.name for label in lifecycle.labels}
    assert all(p.label in labels for p in lifecycle.phases)
    assert "PS Lifecycle::Iterate and Validate" in labels
    pre_sales = [lifecycle.get(f"milestone:{k}") for k in ("positioning", "scoping")]
    assert all(t.start_date is None for t in pre_sales)
    deliver = lifecycle.get("milestone:deliver")
    close = lifecycle.get("milestone:close")
    scaling_end = delivery.get("milestone:wave-3").due_date
    initiate = lifecycle.get("milestone:initiate")
    assert initiate.start_date == delivery.get("milestone:discovery").start_date
    assert deliver.due_date == scaling_end
    assert (close.start_date, close.due_date) == (
        delivery.get("milestone:close").start_date,
        delivery.get("milestone:close").due_date,
    )
    change = rendered("ps-lifecycle", change_order="true").get("issue:iterate/change-order")
    assert change.milestone == "milestone:deliver"


def test_the_weekly_job_reconciles_the_playbook_plus_the_status_of_its_week():
    blueprint = rendered("tool-adoption")
    week_3 = blueprint.with_status_week(date(2026, 1, 21))
    added = [i for i in week_3.issues if i.role == "status"]
    assert [i.key for i in added] == ["issue:status/week-3"]
    assert week_3.with_status_week(date(2026, 1, 22)) == week_3  # found, not added twice
    assert blueprint.with_status_week(date(2030, 1, 1)) is blueprint


def test_a_pilot_schedule_other_than_sequential_or_parallel_is_refused(tmp_path):
    path = tmp_path / "odd.yml"
    path.write_text("name: odd\ntitle: Odd\npilots: {schedule: staggered}\n", encoding="utf-8")
    messages = [p.message for p in validate_paths([path])]
    assert messages == ["schedule must be sequential or parallel, got 'staggered'"]
