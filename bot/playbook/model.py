"""The playbook file format as pydantic models; the JSON Schema is generated from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.playbook.blueprint import Audience, IssueKind, IssueRole, TimeBoxKind

VariableType = Literal["string", "integer", "date", "boolean", "choice"]
GateRole = Literal[
    "engagement_manager",
    "project_manager",
    "technical_architect",
    "ps_engineer",
    "customer_sponsor",
]
"""The role keys of `bot/domain/roles.py` (the playbook room imports nothing of the domain)."""
GateAccess = Literal["developer", "maintainer", "owner"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class VariableSpec(Spec):
    """A value the engagement supplies (`--var NAME=VALUE`); without a default it is required."""

    type: VariableType = Field("string", description="How the value is read and checked.")
    description: str = Field("", description="What the value means, shown in docs and errors.")
    default: str | int | bool | None = Field(
        None, description="Used when no value is given; dates as YYYY-MM-DD."
    )
    min: int | None = Field(None, description="Smallest allowed integer.")
    max: int | None = Field(None, description="Largest allowed integer.")
    choices: list[str] | None = Field(None, description="Allowed values of a `choice`.")


class ItemSpec(Spec):
    """Fields every keyed object template shares."""

    key: str = Field(
        description="Stable slug of the object; may use loop values, never variables.",
    )
    when: str | None = Field(
        None, description="Jinja expression; the object exists only when it is true."
    )
    each: str | None = Field(
        None, description="Name of a series: one object per value, bound to that name."
    )
    omit: bool = Field(False, description="In a child playbook: drop the inherited item.")


class LabelSpec(ItemSpec):
    name: str = Field(description="Exact label text; `scope::value` makes a scoped label.")
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", description="Hex colour, #RRGGBB.")
    description: str = ""


class TimeBoxSpec(ItemSpec):
    """A milestone; time-boxes are laid end to end in the order written."""

    title: str
    description: str = ""
    kind: TimeBoxKind = "phase"
    phase: str | None = Field(None, description="Key of the phase this time-box belongs to.")
    weeks: int | str | None = Field(
        None,
        description="Length in weeks, number or expression; default `sprint_weeks`; "
        "0 = undated (takes no room in the calendar).",
    )
    once: bool = Field(
        False, description="In a pilot phase: one time-box for the engagement, not one per pilot."
    )


class PhaseSpec(Spec):
    """A PSDM phase, listed in engagement order."""

    key: str
    name: str
    label: str = Field(description="Name of the label that marks this phase as current.")
    epic: str | None = Field(None, description="Key of the phase's epic.")
    gate: str | None = Field(
        None,
        description="Key of the governance issue whose closing is the phase's exit criterion "
        "(a reference: may use variables).",
    )
    pilot: bool = Field(False, description="True when every MVP pilot runs its own copy.")
    approvers: list[GateRole] = Field(
        default_factory=list,
        description="Roles whose people may pass the phase's gates; the people are the "
        "engagement's role variables (`customer_sponsor`, ...). Nobody recorded for them: "
        "anyone with `approver_access` may.",
    )
    approver_access: GateAccess = Field(
        "maintainer",
        description="Lowest GitLab role that may pass the phase's gates when none of its "
        "approvers is recorded.",
    )
    omit: bool = False


class EpicSpec(ItemSpec):
    title: str
    description: str = ""
    labels: list[str] = Field(default_factory=list, description="Label names.")
    parent: str | None = Field(None, description="Key of the parent epic.")
    phase: str | None = Field(None, description="Key of the phase the epic serves.")
    workstream: bool = Field(False, description="True for a workstream epic.")
    once: bool = Field(
        False, description="In a pilot phase: one epic for the engagement, not one per pilot."
    )


class IssueSpec(ItemSpec):
    title: str
    phase: str = Field(description="Key of the PSDM phase the issue serves.")
    step: str = Field(description="The PSDM step or activity the issue serves, in words.")
    role: IssueRole = "task"
    kind: IssueKind | None = Field(
        None,
        description="work, ceremony or governance; default from the role (story and task: "
        "work; retrospective: ceremony; status, raid and the two close retrospectives: "
        "governance).",
    )
    story: str | None = Field(None, description="For stories: 'As a ... I want ... so that ...'.")
    description: str = ""
    acceptance_criteria: list[str] = Field(
        default_factory=list, description="Rendered as a task list."
    )
    labels: list[str] = Field(default_factory=list, description="Label names.")
    timebox: str | None = Field(None, description="Key of the issue's time-box (milestone).")
    epic: str | None = Field(None, description="Key of the issue's epic.")
    weight: int | None = Field(None, ge=0)
    confidential: bool = False
    once: bool = Field(
        False, description="In a pilot phase: one issue for the engagement, not one per pilot."
    )
    owner: str | None = Field(
        None,
        description="The PSDM role that owns the issue (engagement_manager, project_manager, "
        "technical_architect, ps_engineer, customer_sponsor, or em, pm, ta, pse, sponsor): "
        "the issue is assigned to the people the engagement's role variables name.",
    )


class BoardSpec(ItemSpec):
    name: str
    lists: list[str] = Field(default_factory=list, description="Label names, left to right.")
    labels: list[str] = Field(
        default_factory=list, description="Label names that scope the whole board."
    )


class IssueTemplateSpec(ItemSpec):
    """An issue description template the engagement's project offers (a file under
    `.gitlab/issue_templates/`); created once, then left to people unless still the bot's."""

    name: str = Field(
        description="The name people pick the template by: the file `<name>.md` "
        "(letters, digits, spaces, `-`, `_`, `.`)."
    )
    description: str = Field("", description="The Markdown text the template starts with.")
    labels: list[str] = Field(
        default_factory=list,
        description="Label names the template applies through the `/label` quick action.",
    )
    raid_fields: bool = Field(
        False,
        description="Add the RAID field table (owner, due, probability, impact, mitigation) "
        "that the status and the dashboard read back.",
    )


class DefaultsSpec(Spec):
    issue_labels: list[str] = Field(
        default_factory=list, description="Label names added to every issue."
    )
    owners: dict[IssueKind, str] = Field(
        default_factory=dict,
        description="The role owning issues of each kind (work, ceremony, governance) that "
        "name no `owner` of their own.",
    )


class PilotsSpec(Spec):
    """How many MVP pilots run through the pilot phases, and how they are scheduled."""

    count: int | str = Field(default=1, description="Number of pilots, number or expression.")
    schedule: str = Field(
        default="sequential",
        description="`sequential` (one pilot after another) or `parallel` (all start "
        "together); a template, so a variable may choose.",
    )
    names: str = Field(
        default="",
        description="Comma-separated pilot names (a template, e.g. `{{ pilot_names }}`); "
        "pilot N takes the Nth name, or `name` when there is none.",
    )
    name: str = Field(
        default="Pilot {{ pilot }}",
        description="Display name of pilot number `pilot` without a name in `names`.",
    )


class PlaybookSpec(Spec):
    """One playbook file, after `extends` has been merged."""

    schema_: str | None = Field(None, alias="$schema", description="Editor hint; ignored.")
    name: str = Field(description="Short name of the playbook.")
    title: str = Field(description="Human title of the playbook.")
    description: str = ""
    audience: Audience = Field(
        "customer",
        description="`customer`: applied to the customer's project, so no issue may be "
        "confidential; `internal`: the PS team's own group.",
    )
    extends: str | list[str] | None = Field(
        None, description="Path(s) of skeleton playbooks, relative to this file."
    )
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    series: dict[str, int | str] = Field(
        default_factory=dict,
        description="Named repetitions: name -> count expression; values run 1..count.",
    )
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    pilots: PilotsSpec = Field(default_factory=PilotsSpec)
    labels: list[LabelSpec] = Field(default_factory=list)
    timeboxes: list[TimeBoxSpec] = Field(default_factory=list)
    phases: list[PhaseSpec] = Field(default_factory=list)
    epics: list[EpicSpec] = Field(default_factory=list)
    issues: list[IssueSpec] = Field(default_factory=list)
    boards: list[BoardSpec] = Field(default_factory=list)
    templates: list[IssueTemplateSpec] = Field(default_factory=list)
    weekly_status: IssueSpec | None = Field(
        None,
        description="The weekly status issue, declared once with `each` over the weeks; "
        "the service creates each week's issue in its week instead of all up front.",
    )
