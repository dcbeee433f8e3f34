"""Every decision of the bot, pure: `(read model, blueprint, arguments) -> Decision | Refusal`.

The events a handler names and the `/psdm` commands both end here; the service reads what a
decision needs (one durable step), calls it (so a replay decides the same), then performs
each effect as its own durable step. Nothing here reads or writes GitLab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from functools import wraps
from typing import ParamSpec

from bot.domain.actions import open_actions
from bot.domain.closeout import (
    CLOSEOUT_MARKER,
    HANDED_OVER,
    RETRO_COMPLETE,
    close_out_report,
    handed_over,
)
from bot.domain.effects import (
    CloseMilestone,
    CompleteIssue,
    CreateIssue,
    CreateLabel,
    Decision,
    Effect,
    MoveIssues,
    OnEpic,
    OnIssue,
    Outcome,
    Reconcile,
    RecordEngagement,
    Refusal,
    RelabelEpic,
    RenameLabel,
    RetitleMilestone,
    SetIssueLabels,
    SetIssueState,
    UpsertNote,
)
from bot.domain.engagement import (
    RAID_LOG,
    RISK,
    SEVERITY_LABELS,
    closed_keys,
    current_phase,
    current_sprint,
    engagement_epic,
    milestone_for,
    next_phase,
    phase_ended_by,
    phase_labels_after,
    phase_named,
    phase_of_epic,
    previous_retrospective,
    retrospective_of,
    the_engagement_epic,
    timebox_for,
    waves,
    workflow_label_for,
    workflow_labels,
)
from bot.domain.errors import NotPossible
from bot.domain.figures import EngagementSnapshot, engagement_figures, open_work_in
from bot.domain.gates import (
    GateCheck,
    GateIssue,
    advance_on_gate,
    blocking_gates,
    check_gate,
    ended_by_timebox,
    forced_note,
    gate_phase,
    live_gates,
    passed_marker,
    passed_note,
)
from bot.domain.gates import refusal as gate_refusal
from bot.domain.metrics import engagement_metrics
from bot.domain.model import Closer, LiveEngagement, LiveIssue, ProjectFacts
from bot.domain.playbooks import Asked, Choice, PlaybookRule, choose_playbook
from bot.domain.retrospective import section
from bot.domain.sprints import SprintClose, close_sprint, warning_comment, warning_marker
from bot.domain.sprints import refusal as sprint_refusal
from bot.engine.marker import Marker
from bot.playbook import PlaybookError
from bot.playbook.blueprint import Blueprint, Phase, TimeBox

P = ParamSpec("P")
Render = Callable[[Choice], Blueprint]
"""Renders a playbook choice into its blueprint (deterministic: same choice, same blueprint)."""

PROGRESS_MARKER = "<!-- psdm-bot progress -->"
REPORT_MARKER = "<!-- psdm-bot weekly-report -->"
GATE_REOPENED_MARKER = "<!-- psdm-bot gate-reopened -->"
TITLE_LIMIT = 255
DEFAULT_SEVERITY = "Medium"


def refusing(decide: Callable[P, Outcome]) -> Callable[P, Outcome]:
    """A decision that may say no from deep inside: `NotPossible` becomes the Refusal."""

    @wraps(decide)
    def run(*args: P.args, **kwargs: P.kwargs) -> Outcome:
        try:
            return decide(*args, **kwargs)
        except NotPossible as refused:
            return Refusal(refused.reason)

    return run


# -- which engagement ---------------------------------------------------------------------------


def engagement(
    facts: ProjectFacts,
    recorded: Choice | None,
    asked: Asked | None,
    rules: tuple[PlaybookRule, ...],
    render: Render,
) -> tuple[Choice, Blueprint]:
    """The project's playbook choice and blueprint; NotPossible when it is no engagement."""
    choice = choose_playbook(facts, recorded, asked, rules)
    if choice is None:
        raise NotPossible(
            "this project is no engagement yet and no rule picks a playbook for it: name "
            "one, as in `/psdm apply tool-adoption`"
        )
    try:
        return choice, render(choice)
    except PlaybookError as error:
        problems = "\n".join(f"- {problem.public()}" for problem in error.problems)
        raise NotPossible(
            f"the playbook `{choice.playbook}` cannot be used:\n\n{problems}"
        ) from None


# -- project created ----------------------------------------------------------------------------


def scaffold(facts: ProjectFacts, choice: Choice, blueprint: Blueprint) -> Decision:
    """A new project a rule picks a playbook for: record the engagement, then scaffold it."""
    return Decision(
        (
            RecordEngagement(
                facts.id,
                facts.path_with_namespace,
                choice.playbook,
                dict(choice.variables),
                first_only=True,
            ),
            Reconcile(blueprint, "scaffold"),
        )
    )


# -- milestone closed ---------------------------------------------------------------------------


@refusing
def close_time_box(
    live: LiveEngagement, blueprint: Blueprint, milestone_id: int, today: date
) -> Outcome:
    """A closed sprint: its retrospective gets its figures, its open work moves to the next
    open sprint, and a close out of turn is warned about on the retrospective. A phase whose
    playbook names no gate ends with its last time-box; a gated phase waits for its gate."""
    milestone = live.milestone(milestone_id)
    if milestone is None:
        return Refusal(f"milestone {milestone_id} is not one of the project's milestones")
    timebox = timebox_for(blueprint, milestone.key, milestone.title)
    if timebox is None:
        return Refusal(f"milestone {milestone.title!r} is not one of the engagement's time-boxes")
    closing = None
    if timebox.kind == "sprint":
        closing = close_sprint(live, blueprint, timebox, milestone, today)
    effects = closed_effects(live, blueprint, timebox, closing, today, "in GitLab")
    return Decision(tuple(effects), "" if effects else f"{timebox.title} closed")


def closed_effects(
    live: LiveEngagement,
    blueprint: Blueprint,
    timebox: TimeBox,
    closing: SprintClose | None,
    today: date,
    how: str,
) -> list[Effect]:
    """What follows a time-box's close, however it closed: a sprint's retrospective, moves and
    warning; the phase's end when its playbook names no gate."""
    effects: list[Effect] = []
    if closing is not None:
        effects += retrospective_effects(live, blueprint, timebox, today)
        effects += sprint_moves(closing)
        effects += sprint_warning(live, blueprint, closing, how)
    ended = phase_ended_by(blueprint, timebox.key)
    if ended and ended_by_timebox(blueprint, ended):
        effects += advance(live, blueprint, ended, f"its time-box {timebox.title} closed")
    return effects


def sprint_moves(closing: SprintClose) -> list[Effect]:
    """Open work to the next open sprint (nothing moves when no later sprint is open)."""
    if not closing.moves or closing.target is None:
        return []
    iids = tuple(i.iid for i in closing.moves)
    return [MoveIssues(iids, closing.target.id, said=closing.summary())]


def sprint_warning(
    live: LiveEngagement, blueprint: Blueprint, closing: SprintClose, how: str
) -> list[Effect]:
    """A warning comment on the retrospective when the sprint closed early or out of turn."""
    retro = retrospective_of(blueprint, closing.sprint)
    found = live.issue_by_key(retro.key) if retro else None
    if not closing.warnings or found is None:
        return []
    body = warning_comment(closing, how)
    return [UpsertNote(OnIssue(found.iid), warning_marker(closing.sprint), body)]


def retrospective_effects(
    live: LiveEngagement, blueprint: Blueprint, sprint: TimeBox, today: date
) -> list[Effect]:
    """The retrospective completed with the sprint's figures and the actions carried over."""
    retro = retrospective_of(blueprint, sprint)
    if retro is None:
        return []
    figures = engagement_figures(live, blueprint, today).sprint(sprint.key)
    assert figures is not None  # every planned sprint has its figures
    previous = previous_retrospective(blueprint, sprint)
    before = live.issue_by_key(previous.key) if previous else None
    carried = open_actions(before.description, live.closed_issues()) if before else []
    template = f"{retro.description}\n\n{Marker(retro.key).render()}"
    effects: list[Effect] = [
        CompleteIssue(
            retro.key,
            retro.title,
            template,
            retro.labels,
            section(figures, carried),
            said="retrospective #{result} completed.",
        )
    ]
    held = live.issue_by_key(retro.key)
    if held is not None and held.closed and RETRO_COMPLETE in held.labels:
        # completing reopens it, and the bot's own reopen raises no event it follows
        effects.append(SetIssueLabels(held.iid, (), (RETRO_COMPLETE,)))
    return effects


def advance(live: LiveEngagement, blueprint: Blueprint, ended: Phase, reason: str) -> list[Effect]:
    """Move the engagement epic's phase label on from `ended`; a comment on it says why."""
    root = engagement_epic(blueprint)
    epic = live.epic_by_key(root.key) if root else None
    if root is None or epic is None:
        return []
    current = current_phase(blueprint, epic.labels, closed_keys(live))
    if current and blueprint.phases.index(current) > blueprint.phases.index(ended):
        return []
    following = next_phase(blueprint, ended)
    effects: list[Effect] = []
    labels = phase_labels_after(blueprint, epic.labels, following)
    if labels != epic.labels:
        effects.append(RelabelEpic(root.key, epic.labels, labels))
    marker = f"<!-- psdm-bot phase-ended={ended.key} -->"
    effects.append(UpsertNote(OnEpic(root.key), marker, advance_note(ended, following, reason)))
    return effects


def advance_note(ended: Phase, following: Phase | None, reason: str) -> str:
    if following is None:
        return f"{ended.name} is complete ({reason}); it was the engagement's last phase."
    return (
        f"{ended.name} is complete ({reason}). The engagement moves on to {following.name}: "
        f'label ~"{following.label}" replaces ~"{ended.label}".'
    )


# -- issue closed or reopened -------------------------------------------------------------------


@refusing
def phase_progress(
    live: LiveEngagement, blueprint: Blueprint, issue_iid: int, today: date
) -> Outcome:
    """An issue closed or reopened: a closed gate of the current phase moves the engagement on;
    the phase epic's progress is recounted. A phase without a gate still ends when every issue
    of its epic is done (the rule before gates)."""
    issue = live.issue(issue_iid)
    planned = next((i for i in blueprint.issues if issue and i.key == issue.key), None)
    effects: list[Effect] = []
    gated = gate_phase(blueprint, issue.key if issue else None)
    if issue is not None and issue.closed and gated is not None:
        check, who = gate_check(live, blueprint, issue)
        if not check.passes:
            note = UpsertNote(OnIssue(issue_iid), GATE_REOPENED_MARKER, check.note(who))
            return Decision(
                (SetIssueState(issue_iid, "opened"), note), f"gate #{issue_iid} reopened"
            )
        closer = live.closer(issue_iid)
        when = closer.at.date() if closer and closer.at else today
        effects += gate_passed(live, blueprint, issue.key or "", issue_iid, who, when)
    phase = phase_of_epic(blueprint, planned.epic if planned else None)
    if phase is None or phase.epic is None or live.epic_by_key(phase.epic) is None:
        if effects:
            return Decision(tuple(effects), f"gate #{issue_iid} closed")
        return Refusal(f"#{issue_iid} belongs to no phase epic")
    status = engagement_figures(live, blueprint, today).phase_status(phase.key)
    assert status is not None
    line = f"{phase.name}: {status.tally.line()}"
    effects.insert(0, UpsertNote(OnEpic(phase.epic), PROGRESS_MARKER, f"Progress: {line}"))
    if status.tally.all.complete and ended_by_timebox(blueprint, phase):
        reason = f"all {status.tally.total} issues of its epic are done"
        effects += advance(live, blueprint, phase, reason)
    return Decision(tuple(effects), line)


def gate_check(
    live: LiveEngagement, blueprint: Blueprint, issue: LiveIssue, force: bool = False
) -> tuple[GateCheck, str | None]:
    """Whether the closed gate passes, and who closed it (GitLab's record, when read)."""
    closer = live.closer(issue.iid)
    root = engagement_epic(blueprint)
    epic = live.epic_by_key(root.key) if root else None
    passed = closed_keys(live) - {issue.key}
    current = current_phase(blueprint, epic.labels, passed) if epic else None
    who = (closer.username, closer.access_level) if closer else None
    check = check_gate(
        blueprint,
        issue.key or "",
        issue.description,
        who,
        live_gates(live, blueprint),
        current,
        force,
    )
    return check, closer.username if closer else None


def gate_passed(
    live: LiveEngagement,
    blueprint: Blueprint,
    gate_key: str,
    iid: int,
    who: str | None,
    when: date,
    reason: str = "",
) -> list[Effect]:
    """A gate passed: recorded on the engagement epic (who, when, why when forced), the
    engagement moved on as far as closed gates allow, and the time-boxes the gate ends closed
    (their open work moved on first) so nothing the bot passed blocks a later command."""
    root = engagement_epic(blueprint)
    gate = live_gates(live, blueprint).get(gate_key) or GateIssue(gate_key, gate_key, True, iid)
    closing, said = timeboxes_ended(live, blueprint, gate_key)
    effects: list[Effect] = []
    if root is not None and live.epic_by_key(root.key) is not None:
        note = passed_note(gate, who, when.isoformat(), reason)
        effects.append(UpsertNote(OnEpic(root.key), passed_marker(gate_key), f"{note}{said}"))
    # the time-boxes close before the phase label moves: a label on the move says it is done
    effects += closing
    if _is_acceptance(blueprint, gate_key):
        effects += close_out(live, blueprint, iid, who, when, closing)
    return effects + gate_effects(live, blueprint, gate_key, iid)


def _is_acceptance(blueprint: Blueprint, gate_key: str) -> bool:
    """Whether the gate is the engagement's last: its acceptance sign-off."""
    return bool(blueprint.phases) and blueprint.phases[-1].gate == gate_key


def close_out(
    live: LiveEngagement,
    blueprint: Blueprint,
    iid: int,
    who: str | None,
    when: date,
    closing: Sequence[Effect],
) -> list[Effect]:
    """The acceptance sign-off passed: the close-out report on the engagement epic, each open
    item labelled as handed over, and every time-box still open closed (nothing moves: what
    is open is handed over). The weekly status stops, as the engagement is over."""
    root = engagement_epic(blueprint)
    snapshot = engagement_figures(live, blueprint, when)
    handed = handed_over(live, blueprint, snapshot)
    effects: list[Effect] = []
    if root is not None and live.epic_by_key(root.key) is not None:
        metrics = engagement_metrics(live, blueprint, snapshot)
        body = close_out_report(snapshot, metrics, handed, who, when)
        effects.append(UpsertNote(OnEpic(root.key), CLOSEOUT_MARKER, body))
    effects += [
        SetIssueLabels(i.iid, (HANDED_OVER,), ()) for i in handed if HANDED_OVER not in i.labels
    ]
    closed = {e.milestone_id for e in closing if isinstance(e, CloseMilestone)}
    planned = [milestone_for(t, live.milestones) for t in blueprint.timeboxes]
    effects += [
        CloseMilestone(m.id) for m in planned if m is not None and m.active and m.id not in closed
    ]
    return effects


def timeboxes_ended(
    live: LiveEngagement, blueprint: Blueprint, gate_key: str
) -> tuple[list[Effect], str]:
    """The open time-boxes a passed gate ends, closed after their open work moves to the next
    open time-box: all of the phase's for its own gate, the gate's own time-box for a
    time-box's exit gate (a wave's). With the words that say so."""
    phase = gate_phase(blueprint, gate_key)
    if phase is None:
        return [], ""
    if gate_key == phase.gate:
        ending = set(phase.timeboxes)
    else:
        own = next((i.milestone for i in blueprint.issues if i.key == gate_key), None)
        ending = {own} if own in phase.timeboxes else set()
    order = list(blueprint.timeboxes)
    found = [(t, milestone_for(t, live.milestones)) for t in order]
    closing = [(t, m) for t, m in found if t.key in ending and m is not None and m.active]
    if not closing:
        return [], ""
    last = max(order.index(t) for t, _ in closing)
    target = next(
        (m for t, m in found[last + 1 :] if m is not None and m.active and t.key not in ending),
        None,
    )
    effects: list[Effect] = []
    words: list[str] = []
    for _, milestone in closing:
        work = open_work_in(live, blueprint, milestone.id)
        if work and target is not None:
            moved = ", ".join(f"#{i.iid}" for i in work)
            effects.append(MoveIssues(tuple(i.iid for i in work), target.id))
            words.append(
                f"{milestone.title} closed; its open work moved to {target.title}: {moved}."
            )
        else:
            words.append(f"{milestone.title} closed.")
        effects.append(CloseMilestone(milestone.id))
    return effects, "\n\n" + " ".join(words)


def gate_effects(
    live: LiveEngagement, blueprint: Blueprint, gate_key: str, iid: int
) -> list[Effect]:
    """The current phase's gate closed: the engagement moves on as far as closed gates allow."""
    root = engagement_epic(blueprint)
    epic = live.epic_by_key(root.key) if root else None
    if root is None or epic is None:
        return []
    # before any phase label the engagement is in its first phase
    # the gate just closed is not passed yet for telling which shared-label phase is current
    passed = closed_keys(live) - {gate_key}
    current = current_phase(blueprint, epic.labels, passed) or next(iter(blueprint.phases), None)
    target = advance_on_gate(blueprint, current, gate_key, live_gates(live, blueprint))
    if current is None or target is None:
        return []
    labels = phase_labels_after(blueprint, epic.labels, target)
    marker = f"<!-- psdm-bot phase-ended={current.key} -->"
    note = advance_note(current, target, f"its gate #{iid} was closed")
    return [
        RelabelEpic(root.key, epic.labels, labels),
        UpsertNote(OnEpic(root.key), marker, note),
    ]


@refusing
def follow_issue_state(
    live: LiveEngagement, blueprint: Blueprint, issue_iid: int, state: str
) -> Outcome:
    """Workflow labels follow the issue's state (closed: done; reopened: back in progress)."""
    names = workflow_labels(blueprint)
    target = workflow_label_for(state, names)
    issue = live.issue(issue_iid)
    if target is None:
        return Refusal("the playbook has no workflow labels")
    if issue is None:
        return Refusal(f"#{issue_iid} was not found")
    stale = tuple(n for n in issue.labels if n in names and n != target)
    if target in issue.labels and not stale:
        return Decision((), f"#{issue_iid} already {target}")
    return Decision((SetIssueLabels(issue_iid, (target,), stale),), f"#{issue_iid} now {target}")


def restore_labels(live: LiveEngagement, blueprint: Blueprint) -> Decision:
    """Standard labels deleted or renamed by hand come back (a rename is undone in place)."""
    names = {label.name for label in live.labels}
    standard = {label.name for label in blueprint.labels}
    effects: list[Effect] = []
    taken: set[int] = set()
    for label in blueprint.labels:
        if label.name in names:
            continue
        renamed = next(
            (
                have
                for have in live.labels
                if have.name not in standard
                and have.id not in taken
                and have.description == label.description
                and have.color.lower() == label.color.lower()
            ),
            None,
        )
        if renamed:
            taken.add(renamed.id)
            effects.append(RenameLabel(renamed, label.name))
        else:
            effects.append(CreateLabel(label.name, label.color, label.description))
    restored = ", ".join(e.name for e in effects if isinstance(e, CreateLabel | RenameLabel))
    return Decision(tuple(effects), f"restored {restored}" if effects else "labels intact")


# -- `/psdm` commands ---------------------------------------------------------------------------


def plan(choice: Choice, blueprint: Blueprint) -> Decision:
    return Decision((Reconcile(blueprint, "plan"),))


def apply(facts: ProjectFacts, choice: Choice, blueprint: Blueprint) -> Decision:
    """Remember the choice (variables included, for next time), then reconcile."""
    record = RecordEngagement(
        facts.id, facts.path_with_namespace, choice.playbook, dict(choice.variables)
    )
    return Decision((record, Reconcile(blueprint, "apply")))


@refusing
def phase(
    live: LiveEngagement,
    blueprint: Blueprint,
    target: str,
    force: bool = False,
    author: str | None = None,
) -> Outcome:
    """`/psdm phase next|PHASE [--force]`: the engagement epic's phase label moves, forward
    only past closed gates; `--force` moves anyway and the phase note records it."""
    root = the_engagement_epic(blueprint)
    epic = live.epic_by_key(root.key)
    if epic is None:
        raise NotPossible("the engagement epic does not exist yet: apply the playbook first")
    current = current_phase(blueprint, epic.labels, closed_keys(live))
    wanted = phase_named(blueprint, current, target)
    if wanted == current:
        return Decision((), f"The engagement is already in {wanted.name}.")
    held = blocking_gates(blueprint, current, wanted, live_gates(live, blueprint))
    if held and not force:
        return Refusal(gate_refusal(current, wanted, held))
    labels = phase_labels_after(blueprint, epic.labels, wanted)
    moved = f"from {current.name} " if current else ""
    said = f'The engagement moves {moved}to {wanted.name} (label ~"{wanted.label}").'
    effects: list[Effect] = [RelabelEpic(root.key, epic.labels, labels)]
    if held:
        marker = f"<!-- psdm-bot phase-forced={wanted.key} -->"
        note = forced_note(current, wanted, held, author)
        effects.append(UpsertNote(OnEpic(root.key), marker, note))
        said += f" Forced past {len(held)} open gate(s); the override is noted on the epic."
    return Decision(tuple(effects), said)


@refusing
def gate_pass(
    live: LiveEngagement,
    blueprint: Blueprint,
    iid: int,
    author: str,
    access_level: int,
    today: date,
    force: bool = False,
    reason: str = "",
) -> Outcome:
    """`/psdm gate pass [--force "REASON"]` on a gate issue: only its approvers pass it; without
    `--force` its criteria must be ticked and the gates before it passed; with it the pass and
    its reason are recorded. The gate is closed and passes as a closed gate does."""
    issue = live.issue(iid)
    if issue is None or gate_phase(blueprint, issue.key) is None:
        raise NotPossible(f"#{iid} is no gate of the engagement: comment on the gate issue itself")
    closed = replace(issue, state="closed")
    after = replace(live, issues=tuple(closed if i.iid == iid else i for i in live.issues))
    check, _ = gate_check(
        replace(after, closers=(Closer(iid, author, access_level),)), blueprint, closed, force
    )
    if not check.passes:
        reasons = "\n".join(check.reasons())
        raise NotPossible(f"the gate was not passed:\n\n{reasons}")
    effects: list[Effect] = []
    if not issue.closed:
        effects.append(SetIssueState(iid, "closed"))
    effects += gate_passed(after, blueprint, issue.key or "", iid, author, today, reason)
    forced = " with `--force`; the reason is recorded on the engagement epic" if force else ""
    return Decision(tuple(effects), f"The gate #{iid} is passed{forced}.")


@refusing
def sprint_close(
    live: LiveEngagement, blueprint: Blueprint, today: date, force: bool = False
) -> Outcome:
    """Close the current sprint: its retrospective, its phase, and its open work moves on.
    A sprint not yet started, or one with earlier time-boxes open, needs `--force`."""
    sprint, milestone = current_sprint(blueprint, live.milestones)
    closing = close_sprint(live, blueprint, sprint, milestone, today)
    if closing.warnings and not force:
        return Refusal(sprint_refusal(closing))
    after = live.with_milestone_closed(milestone.id)
    effects: list[Effect] = [CloseMilestone(milestone.id)]
    how = "with `/psdm sprint close --force`"
    effects += closed_effects(after, blueprint, sprint, closing, today, how)
    said = f"{milestone.title} is closed."
    if not any(isinstance(e, MoveIssues) for e in effects):
        said += " " + closing.summary()
    return Decision(tuple(effects), said)


@refusing
def retro(live: LiveEngagement, blueprint: Blueprint, today: date) -> Outcome:
    """Open or refresh the current sprint's retrospective."""
    sprint, _ = current_sprint(blueprint, live.milestones)
    effects = retrospective_effects(live, blueprint, sprint, today)
    if not effects:
        return Refusal(f"{sprint.title} has no retrospective in the playbook")
    return Decision(tuple(effects), f"{sprint.title}:")


@refusing
def wave_add(
    live: LiveEngagement,
    choice: Choice,
    blueprint: Blueprint,
    name: str,
    render: Render,
) -> Outcome:
    """Scale out by one wave: the playbook rendered with one more, its milestone named."""
    planned = waves(blueprint)
    named = next((m for m in live.milestones if m.title.endswith(f": {name}")), None)
    if named and planned and named.key == planned[-1].key:
        return Decision((), f"{named.title} already exists.")
    grown = Choice(
        choice.playbook, {**choice.variables, "waves": str(waves_after_adding(blueprint))}
    )
    _, bigger = engagement(live.project, grown, None, (), render)
    wave = waves(bigger)[-1]
    title = f"{wave.title}: {name}"
    facts = live.project
    return Decision(
        (
            Reconcile(bigger, "grow", said=""),
            RetitleMilestone(wave.key, title, said=f"{title} added."),
            RecordEngagement(
                facts.id, facts.path_with_namespace, grown.playbook, dict(grown.variables)
            ),
        )
    )


@refusing
def pilot_add(
    live: LiveEngagement,
    choice: Choice,
    blueprint: Blueprint,
    name: str,
    render: Render,
) -> Outcome:
    """`/psdm pilot add NAME`: one more MVP pilot, with its own phases, time-boxes, epics and
    issues (titled after NAME); Scaling then waits for its gate as well."""
    if "pilots" not in blueprint.variables:
        raise NotPossible("the engagement's playbook has no `pilots` variable to add a pilot with")
    name = " ".join(name.split())
    if "," in name:
        raise NotPossible("a pilot's name cannot contain a comma")
    names = [p.name for p in blueprint.pilots] or ["Pilot 1"]
    if name.lower() in (n.lower() for n in names):
        return Decision((), f"The pilot {name} already exists.")
    grown = Choice(
        choice.playbook,
        {
            **choice.variables,
            "pilots": str(len(names) + 1),
            "pilot_names": ",".join([*names, name]),
        },
    )
    _, bigger = engagement(live.project, grown, None, (), render)
    facts = live.project
    return Decision(
        (
            Reconcile(bigger, "grow", said=f"Pilot {len(names) + 1}, {name}, added ({{result}})."),
            RecordEngagement(
                facts.id, facts.path_with_namespace, grown.playbook, dict(grown.variables)
            ),
        ),
        "",
    )


def waves_after_adding(blueprint: Blueprint) -> int:
    """The wave count once one more wave is added."""
    variables = blueprint.variables
    if "waves" not in variables:
        raise NotPossible("the engagement's playbook has no `waves` variable to scale out with")
    try:
        return int(str(variables["waves"])) + 1
    except ValueError:
        raise NotPossible(
            f"the engagement's `waves` value {variables['waves']!r} is no number"
        ) from None


@refusing
def risk(text: str, author: str | None, issue_iid: int, note_id: int) -> Outcome:
    """`/psdm risk [high:|medium:|low:] TEXT`: a risk on the RAID log, once per comment."""
    head, sep, tail = text.partition(":")
    named = head.strip().capitalize() if sep else ""
    severity = named if named in SEVERITY_LABELS else None
    body = tail.strip() if severity else text.strip()
    if not body:
        raise NotPossible("the risk has a severity but no text")
    title = body if len(body) <= TITLE_LIMIT else body[: TITLE_LIMIT - 1].rstrip() + "…"
    who = f"@{author}" if author else "a comment"
    key = f"issue:raid/note-{note_id}"
    description = (
        f"{body}\n\nRaised by {who} in #{issue_iid}.\n\n"
        "State the impact on timeline, scope, quality or budget, and a mitigation.\n\n"
        f"{Marker(key).render()}"
    )
    labels = (RAID_LOG, RISK, SEVERITY_LABELS[severity or DEFAULT_SEVERITY])
    shown = ", ".join(f'~"{label}"' for label in labels)
    said = f"Risk #{{result}} is on the RAID log ({shown})."
    return Decision((CreateIssue(key, title, description, labels, said=said),))


@refusing
def report(snapshot: EngagementSnapshot, body: str) -> Outcome:
    """The weekly report as one comment on this week's status issue, edited in place."""
    if snapshot.status_issue is None:
        raise NotPossible("the engagement has no weekly status issue to post the report on yet")
    note = UpsertNote(OnIssue(snapshot.status_issue), REPORT_MARKER, body)
    return Decision((note,), f"The status report is on #{snapshot.status_issue}.")


def status(live: LiveEngagement, blueprint: Blueprint, today: date) -> EngagementSnapshot:
    """`/psdm status` shows the engagement's figures (rendered by the report room)."""
    return engagement_figures(live, blueprint, today)
