"""Every GitLab call the bot makes, with the page of GitLab's documentation that defines it.

Kept as data so the contract tests walk it: each REST entry names the fixture (a transcription
of GitLab's example response) and the example in it the sandbox's answer must match. `call`
is a concrete request against the contract world built in `world.py` (placeholders in braces);
`used_by` says where the bot (or `bot/demo.py`, which plays users) makes the call.

GraphQL documents are listed in `GRAPHQL`: each is read from the bot's module so a change
there is validated against the schema subset transcribed from GitLab's GraphQL reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rest:
    method: str
    path: str
    """GitLab's documented route."""
    fixture: str
    example: str
    used_by: str
    call: str
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    tier: str = "premium"
    """The sandbox tier the answer is compared on (GitLab serves some calls on Ultimate only)."""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


P = "/projects/{pid}"
G = "/groups/{gid}"
ISSUE = P + "/issues/{iid}"

REST: tuple[Rest, ...] = (
    # identity and instance
    Rest(
        "GET",
        "/user",
        "user",
        "current",
        "bot/gitlab/commands.py me; engagement.py whoami",
        "/user",
    ),
    Rest("GET", "/version", "version", "get", "bot/gitlab/engagement.py version", "/version"),
    # capabilities (issue 10 item 4: what the instance is, read once by the adapter)
    Rest(
        "GET", "/metadata", "metadata", "get", "issue 10 item 4: version and edition", "/metadata"
    ),
    Rest("GET", "/license", "license", "get", "issue 10 item 4: tier (administrators)", "/license"),
    Rest(
        "GET",
        "/namespaces/:id",
        "namespace",
        "one",
        "issue 10 item 4: plan, GitLab.com style",
        "/namespaces/{gid}",
    ),
    # project and membership
    Rest("GET", "/projects/:id", "project", "get", "bot/gitlab/project.py load; bot/demo.py", P),
    Rest(
        "GET",
        "/projects/:id/members/all/:user_id",
        "member",
        "all_one",
        "bot/gitlab/commands.py role",
        P + "/members/all/{alice_id}",
    ),
    Rest(
        "GET",
        "/projects/:id/members/:user_id",
        "member",
        "one",
        "around the family: a direct member, as a maintainer checks it",
        P + "/members/{root_id}",
    ),
    # issues
    Rest(
        "GET",
        "/projects/:id/issues",
        "issue",
        "list",
        "bot/gitlab/kinds/issues.py read; engagement.py issues; snapshot.py; bot/demo.py",
        P + "/issues",
        query={"state": "all", "per_page": 100},
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid",
        "issue",
        "get",
        "bot/gitlab/engagement.py issue",
        ISSUE,
    ),
    Rest(
        "POST",
        "/projects/:id/issues",
        "issue",
        "create",
        "bot/gitlab/kinds/issues.py create; engagement.py create_issue",
        P + "/issues",
        body={"title": "Contract: created", "labels": "bug", "description": "made by the test"},
    ),
    Rest(
        "PUT",
        "/projects/:id/issues/:issue_iid",
        "issue",
        "edit",
        "bot/gitlab/kinds/issues.py update; engagement.py update_issue",
        P + "/issues/{iid2}",
        body={"state_event": "close"},
    ),
    # notes and awards
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/notes",
        "note",
        "list",
        "bot/gitlab/engagement.py upsert_note; commands.py reply",
        ISSUE + "/notes",
    ),
    Rest(
        "POST",
        "/projects/:id/issues/:issue_iid/notes",
        "note",
        "one",
        "bot/gitlab/engagement.py upsert_note",
        ISSUE + "/notes",
        body={"body": "a reply"},
    ),
    Rest(
        "PUT",
        "/projects/:id/issues/:issue_iid/notes/:note_id",
        "note",
        "one",
        "bot/gitlab/engagement.py upsert_note",
        ISSUE + "/notes/{note_id}",
        body={"body": "an edited reply"},
    ),
    Rest(
        "GET",
        "/groups/:id/epics/:epic_id/notes",
        "note",
        "list",
        "bot/gitlab/engagement.py note path of an epic",
        G + "/epics/{epic_id}/notes",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/notes/:note_id/award_emoji",
        "award_emoji",
        "note_list",
        "bot/gitlab/commands.py award",
        ISSUE + "/notes/{note_id}/award_emoji",
    ),
    Rest(
        "POST",
        "/projects/:id/issues/:issue_iid/notes/:note_id/award_emoji",
        "award_emoji",
        "note_create",
        "bot/gitlab/commands.py award",
        ISSUE + "/notes/{note_id}/award_emoji",
        body={"name": "rocket"},
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/award_emoji",
        "award_emoji",
        "issue_list",
        "around the family: the issue's upvotes and downvotes are these awards",
        ISSUE + "/award_emoji",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/discussions",
        "discussion",
        "list",
        "around the family: the threads people start under an issue",
        ISSUE + "/discussions",
    ),
    # labels
    Rest(
        "GET",
        "/projects/:id/labels",
        "label",
        "list",
        "bot/gitlab/kinds/labels.py read; engagement.py ensure_labels",
        P + "/labels",
        query={"include_ancestor_groups": True, "with_counts": True},
    ),
    Rest(
        "GET",
        "/projects/:id/labels/:label_id",
        "label",
        "get",
        "bot/gitlab/kinds/labels.py id_of",
        P + "/labels/{label_name}",
        query={"include_ancestor_groups": True},
    ),
    Rest(
        "POST",
        "/projects/:id/labels",
        "label",
        "create",
        "bot/gitlab/kinds/labels.py create; engagement.py ensure_labels",
        P + "/labels",
        body={"name": "contract-new", "color": "#5843AD"},
    ),
    Rest(
        "PUT",
        "/projects/:id/labels/:label_id",
        "label",
        "edit",
        "bot/gitlab/engagement.py ensure_labels",
        P + "/labels/{label_id}",
        body={"color": "#8E44AD", "description": "Documentation"},
    ),
    Rest(
        "PUT",
        "/projects/:id/labels/:label_id/promote",
        "label",
        "promote",
        "around the family: a project label promoted to the group by hand",
        P + "/labels/promote-me/promote",
    ),
    Rest(
        "GET",
        "/groups/:id/labels",
        "group_label",
        "list",
        "around the family: the group labels an engagement inherits",
        G + "/labels",
        query={"with_counts": True},
    ),
    Rest(
        "POST",
        "/groups/:id/labels",
        "group_label",
        "create",
        "around the family: a group label made by hand",
        G + "/labels",
        body={"name": "Feature Proposal", "color": "#FFA500", "description": "ideas"},
    ),
    Rest(
        "PUT",
        "/groups/:id/labels/:label_id",
        "group_label",
        "edit",
        "bot/gitlab/engagement.py ensure_labels (inherited labels)",
        G + "/labels/{group_label_id}",
        body={"description": "Describes new ideas"},
    ),
    # milestones
    Rest(
        "GET",
        "/projects/:id/milestones",
        "milestone",
        "list",
        "bot/gitlab/kinds/milestones.py read; commands.py timeboxes; snapshot.py",
        P + "/milestones",
    ),
    Rest(
        "GET",
        "/projects/:id/milestones/:milestone_id",
        "milestone",
        "one",
        "bot/gitlab/engagement.py milestone; commands.py close_milestone",
        P + "/milestones/{milestone_id}",
    ),
    Rest(
        "POST",
        "/projects/:id/milestones",
        "milestone",
        "one",
        "bot/gitlab/kinds/milestones.py create",
        P + "/milestones",
        body={"title": "Contract sprint", "start_date": "2026-01-05", "due_date": "2026-01-16"},
    ),
    Rest(
        "PUT",
        "/projects/:id/milestones/:milestone_id",
        "milestone",
        "one",
        "bot/gitlab/kinds/milestones.py update; commands.py close/retitle",
        P + "/milestones/{milestone_id}",
        body={"title": "Sprint 1 (renamed)"},
    ),
    Rest(
        "GET",
        "/projects/:id/milestones/:milestone_id/issues",
        "issue",
        "list",
        "bot/gitlab/engagement.py milestone_issues",
        P + "/milestones/{milestone_id}/issues",
    ),
    Rest(
        "GET",
        "/groups/:id/milestones",
        "group_milestone",
        "list",
        "issue 10 item 6: group milestones through group endpoints",
        G + "/milestones",
    ),
    Rest(
        "GET",
        "/groups/:id/milestones/:milestone_id",
        "group_milestone",
        "one",
        "bot/gitlab/engagement.py milestone (a sprint that is a group milestone)",
        G + "/milestones/{group_milestone_id}",
    ),
    Rest(
        "PUT",
        "/groups/:id/milestones/:milestone_id",
        "group_milestone",
        "one",
        "bot/gitlab/engagement.py close_milestone / retitle_milestone (group milestone)",
        G + "/milestones/{group_milestone_id}",
        body={"title": "Q1 (renamed)"},
    ),
    # issue links
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/links",
        "issue_link",
        "list",
        "bot/gitlab/kinds/issues.py links (Free epics)",
        ISSUE + "/links",
    ),
    Rest(
        "POST",
        "/projects/:id/issues/:issue_iid/links",
        "issue_link",
        "create",
        "bot/gitlab/kinds/issues.py relate",
        P + "/issues/{iid3}/links",
        body={"target_project_id": "{pid}", "target_issue_iid": "{iid2}"},
    ),
    # boards
    Rest(
        "GET",
        "/projects/:id/boards",
        "board",
        "list",
        "bot/gitlab/kinds/boards.py read",
        P + "/boards",
    ),
    Rest(
        "GET",
        "/projects/:id/boards/:board_id",
        "board",
        "get",
        "around the family: one board, as a user opens it",
        P + "/boards/{board_id}",
    ),
    Rest(
        "POST",
        "/projects/:id/boards",
        "board",
        "create",
        "bot/gitlab/kinds/boards.py create",
        P + "/boards",
        body={"name": "Contract board"},
    ),
    Rest(
        "PUT",
        "/projects/:id/boards/:board_id",
        "board",
        "edit",
        "bot/gitlab/kinds/boards.py scope",
        P + "/boards/{board_id}",
        body={
            "labels": "bug",
            "milestone_id": "{milestone_id}",
            "assignee_id": "{root_id}",
            "weight": 4,
        },
    ),
    Rest(
        "GET",
        "/projects/:id/boards/:board_id/lists",
        "board_list",
        "list",
        "bot/gitlab/kinds/boards.py lists",
        P + "/boards/{board_id}/lists",
    ),
    Rest(
        "POST",
        "/projects/:id/boards/:board_id/lists",
        "board_list",
        "create",
        "bot/gitlab/kinds/boards.py list create",
        P + "/boards/{board_id}/lists",
        body={"label_id": "{doing_label_id}"},
    ),
    # epics (REST, GitLab before 18.1 or legacy reads)
    Rest(
        "GET",
        "/groups/:id/epics",
        "epic",
        "list",
        "bot/gitlab/kinds/epics/choice.py; snapshot.py",
        G + "/epics",
    ),
    Rest(
        "GET",
        "/groups/:id/epics/:epic_iid",
        "epic",
        "get",
        "bot/gitlab/engagement.py note path",
        G + "/epics/{epic_iid}",
    ),
    Rest(
        "POST",
        "/groups/:id/epics",
        "epic",
        "create",
        "bot/gitlab/kinds/epics/legacy.py write",
        G + "/epics",
        body={"title": "Contract epic", "description": "made by the test"},
    ),
    Rest(
        "PUT",
        "/groups/:id/epics/:epic_iid",
        "epic",
        "create",
        "bot/gitlab/kinds/epics/legacy.py write (update answers the epic)",
        G + "/epics/{epic_iid}",
        body={"title": "Epic (renamed)"},
    ),
    # groups (bot/demo.py finds its group; the epics and hooks hang on it)
    Rest("GET", "/groups", "group", "list", "around the family", "/groups"),
    Rest("GET", "/groups/:id", "group", "get", "bot/demo.py groups.get", G),
    # hooks (bot/demo.py wires the service to a group)
    Rest(
        "POST",
        "/groups/:id/hooks",
        "group_hook",
        "get",
        "bot/demo.py group hook",
        G + "/hooks",
        body={
            "url": "http://127.0.0.1:9/demo",
            "name": "Demo",
            "description": "the demo's hook",
            "issues_events": True,
            "note_events": True,
            "custom_webhook_template": '{"event":"{{object_kind}}"}',
        },
    ),
    Rest("GET", "/groups/:id/hooks", "group_hook", "list", "around the family", G + "/hooks"),
    Rest(
        "GET",
        "/groups/:id/hooks/:hook_id",
        "group_hook",
        "get",
        "around the family",
        G + "/hooks/{hook_id}",
    ),
    # DORA (Ultimate)
    Rest(
        "GET",
        "/projects/:id/dora/metrics",
        "dora_metric",
        "list",
        "bot/gitlab/snapshot.py _dora",
        P + "/dora/metrics",
        query={"metric": "deployment_frequency", "interval": "daily"},
        tier="ultimate",
    ),
    # resource events (issue 12's cycle and lead time)
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/resource_label_events",
        "resource_label_event",
        "list",
        "issue 12: label history",
        ISSUE + "/resource_label_events",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/resource_milestone_events",
        "resource_milestone_event",
        "list",
        "issue 12: milestone history",
        ISSUE + "/resource_milestone_events",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/resource_state_events",
        "resource_state_event",
        "list",
        "issue 12: cycle and lead time",
        ISSUE + "/resource_state_events",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/resource_state_events/:resource_state_event_id",
        "resource_state_event",
        "one",
        "issue 12: cycle and lead time",
        ISSUE + "/resource_state_events/{state_event_id}",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/resource_weight_events",
        "resource_weight_event",
        "list",
        "issue 12: weight history",
        ISSUE + "/resource_weight_events",
    ),
    Rest(
        "GET",
        "/projects/:id/issues/:issue_iid/resource_weight_events/:resource_weight_event_id",
        "resource_weight_event",
        "one",
        "issue 12: weight history",
        ISSUE + "/resource_weight_events/{weight_event_id}",
    ),
)


@dataclass(frozen=True)
class Operation:
    module: str
    attribute: str
    used_by: str


GRAPHQL: tuple[Operation, ...] = (
    Operation(
        "bot.gitlab.kinds.epics.documents",
        "EPICS_QUERY",
        "WorkItemEpics.probe / _query: epics of a group",
    ),
    Operation(
        "bot.gitlab.kinds.epics.documents",
        "CREATE",
        "WorkItemEpics.write; IssueEpics.create_linked",
    ),
    Operation("bot.gitlab.kinds.epics.documents", "UPDATE", "WorkItemEpics.write (update)"),
    Operation(
        "bot.gitlab.kinds.epics.documents", "LINKS_QUERY", "IssueEpics._query_links (Free epics)"
    ),
)


UNCHECKED: dict[str, str] = {
    "/projects": "bot/demo.py creates its project; no example of the create answer is transcribed",
    "/groups/:id/projects": "bot/gitlab/hooks.py lists a group's projects (include_subgroups) to "
    "check their hooks; no example of that list is transcribed yet",
    "/users": "bot/gitlab/kinds/issues.py and engagement.py look a role's people up by username "
    "(`?username=`) to assign them; no example of that filtered list is transcribed yet",
    "/groups/:x/members/all/:x": "bot/gitlab/team.py asks whether a viewer is in the PS team "
    "group; no example of the group member answer is transcribed yet",
    "/users/sign_in": "not a call: bot/gitlab/preflight.py recognises GitLab's sign-in page in the "
    "Location of a redirect",
}
"""Paths the bot uses that no contract test compares yet, and why."""
