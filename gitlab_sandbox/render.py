"""REST entities: how each record looks in GitLab's JSON, with URLs from the instance base."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .events_log import ResourceEvent
from .model import (
    AwardEmoji,
    Board,
    BoardList,
    Group,
    Hook,
    HookLog,
    Label,
    Member,
    Milestone,
    Note,
    Project,
    Token,
    User,
    WorkItem,
)
from .routes.timetracking import human
from .state import State, now

ACCESS_NAMES = {
    0: "No access",
    5: "Minimal Access",
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
}


# fmt: off
BOARD_PROJECT_KEYS = (
    "id", "name", "name_with_namespace", "path", "path_with_namespace", "created_at",
    "default_branch", "tag_list", "topics", "ssh_url_to_repo", "http_url_to_repo", "web_url",
    "readme_url", "avatar_url", "star_count", "forks_count", "last_activity_at",
)
# fmt: on
"""The project of a board as `GL:doc/api/boards.md` shows it (Update an issue board)."""


def avatar(email: str) -> str:
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?s=80&d=identicon"


def text_color(color: str) -> str:
    hexa = color.lstrip("#")
    if len(hexa) != 6:
        return "#FFFFFF"
    red, green, blue = (int(hexa[i : i + 2], 16) for i in (0, 2, 4))
    return "#1F1E24" if (red * 299 + green * 587 + blue * 114) / 1000 > 128 else "#FFFFFF"


@dataclass
class Render:
    state: State
    base: str
    viewer: User | None
    with_label_details: bool = False
    _tallies: dict[str, Counter[Any]] = field(default_factory=dict)

    def _tally(self, kind: str) -> Counter[Any]:
        """Counts computed once per request instead of one scan per rendered object."""
        cached = self._tallies.get(kind)
        if cached is None:
            state = self.state
            if kind == "open_issues":
                cached = Counter(
                    w.project_id for w in state.work_items.values() if w.state == "opened"
                )
            elif kind == "spent":
                cached = Counter()
                for entry in state.timelogs.values():
                    cached[entry.work_item_id] += entry.time_spent
            elif kind == "notes":
                cached = Counter(n.noteable_id for n in state.notes.values() if not n.system)
            else:
                cached = Counter(
                    (a.awardable_type, a.awardable_id, a.name) for a in state.awards.values()
                )
            self._tallies[kind] = cached
        return cached

    def time_stats(self, item: WorkItem) -> dict[str, Any]:
        """The issue's `time_stats` (`GL:lib/api/entities/issuable_time_stats.rb`)."""
        spent = self._tally("spent")[item.id]
        return {
            "time_estimate": item.time_estimate,
            "total_time_spent": spent,
            "human_time_estimate": human(item.time_estimate),
            "human_total_time_spent": human(spent),
        }

    # -- URLs ------------------------------------------------------------------------------

    def project_url(self, project: Project) -> str:
        return f"{self.base}/{self.state.project_full_path(project)}"

    def group_url(self, group: Group) -> str:
        return f"{self.base}/groups/{self.state.group_full_path(group)}"

    def item_url(self, item: WorkItem) -> str:
        if item.is_epic:
            group = self.state.groups[item.group_id]  # type: ignore[index]
            return f"{self.group_url(group)}/-/epics/{item.iid}"
        project = self.state.projects[item.project_id]  # type: ignore[index]
        section = "issues" if item.kind in ("issue", "incident", "test_case") else "work_items"
        return f"{self.project_url(project)}/-/{section}/{item.iid}"

    def milestone_url(self, milestone: Milestone) -> str:
        if milestone.owner == "project":
            owner = self.project_url(self.state.projects[milestone.owner_id])
        else:
            owner = self.group_url(self.state.groups[milestone.owner_id])
        return f"{owner}/-/milestones/{milestone.iid}"

    def _forks(self, project: Project) -> int:
        return sum(1 for p in self.state.projects.values() if p.forked_from_id == project.id)

    def file_url(self, path: str | None) -> str | None:
        """The absolute URL of an uploaded file, None when there is none."""
        return f"{self.base}{path}" if path else None

    # -- people ----------------------------------------------------------------------------

    def user(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "username": user.username,
            "public_email": None,
            "name": user.name,
            "state": user.state,
            "locked": False,
            "avatar_url": self.file_url(user.avatar) or avatar(user.email),
            "web_url": f"{self.base}/{user.username}",
        }

    def user_full(self, user: User) -> dict[str, Any]:
        data = self.user(user)
        data.update(
            created_at=user.created_at,
            bio=user.bio,
            bio_html="",
            location="",
            skype="",
            linkedin="",
            twitter="",
            discord="",
            website_url="",
            organization="",
            job_title="",
            pronouns=None,
            bot=user.bot,
            work_information=None,
            followers=0,
            following=0,
            is_followed=False,
            local_time=None,
        )
        viewer = self.viewer
        if viewer is not None and (viewer.is_admin or viewer.id == user.id):
            data.update(
                last_sign_in_at=None,
                confirmed_at=user.created_at,
                last_activity_on=user.created_at.date(),
                email=user.email,
                theme_id=1,
                color_scheme_id=1,
                projects_limit=100000,
                current_sign_in_at=None,
                identities=[
                    {"provider": provider, "extern_uid": uid, "saml_provider_id": None}
                    for provider, uid in user.identities.items()
                ],
                can_create_group=True,
                can_create_project=True,
                two_factor_enabled=False,
                external=False,
                private_profile=False,
                commit_email=user.email,
                is_admin=user.is_admin,
                namespace_id=user.namespace_id,
                created_by=None,
            )
        return data

    def token(self, token: Token, *, reveal: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": token.id,
            "name": token.name,
            "revoked": token.revoked,
            "created_at": token.created_at,
            "description": None,
            "scopes": token.scopes,
            "user_id": token.user_id,
            "last_used_at": token.last_used_at,
            "active": not token.revoked,
            "expires_at": token.expires_at,
            "impersonation": token.impersonation,
        }
        if reveal:
            data["token"] = token.token
        return data

    def member(self, member: Member) -> dict[str, Any]:
        data = self.user(self.state.users[member.user_id])
        creator = self.state.users.get(member.created_by_id or 0)
        data.update(
            access_level=member.access_level,
            created_at=member.created_at,
            created_by=self.user(creator) if creator else None,
            expires_at=member.expires_at,
            membership_state="active",
            group_saml_identity=None,
        )
        return data

    # -- namespaces --------------------------------------------------------------------------

    def group(self, group: Group, *, detail: bool = False) -> dict[str, Any]:
        state = self.state
        data: dict[str, Any] = {
            "id": group.id,
            "web_url": self.group_url(group),
            "name": group.name,
            "path": group.path,
            "description": group.description,
            "visibility": group.visibility,
            "share_with_group_lock": False,
            "require_two_factor_authentication": False,
            "two_factor_grace_period": 48,
            "project_creation_level": "developer",
            "auto_devops_enabled": None,
            "subgroup_creation_level": "maintainer",
            "emails_disabled": False,
            "emails_enabled": True,
            "mentions_disabled": None,
            "lfs_enabled": True,
            "default_branch": None,
            "default_branch_protection": 2,
            "avatar_url": self.file_url(group.avatar),
            "request_access_enabled": True,
            "full_name": state.group_full_name(group),
            "full_path": state.group_full_path(group),
            "created_at": group.created_at,
            "parent_id": group.parent_id,
            "organization_id": 1,
            "shared_runners_setting": "enabled",
            "ldap_cn": None,
            "ldap_access": None,
            "marked_for_deletion_on": None,
            "archived": False,
        }
        if detail:
            data["shared_with_groups"] = self.shared_with_groups(group)
            data["runners_token"] = None
            data["prevent_sharing_groups_outside_hierarchy"] = False
            data["shared_projects"] = []
            # GL:doc/api/groups.md "Details of a group" lists the group's own projects
            data["projects"] = [
                self.project(p) for p in state.projects_in(group, include_subgroups=False)
            ]
        return data

    def shared_with_groups(self, group: Group) -> list[dict[str, Any]]:
        """GL:doc/api/groups.md "Details of a group": the groups this one is shared with."""
        rows = []
        for other_id, level in group.shared_with.items():
            other = self.state.groups.get(other_id)
            if other is not None:
                rows.append(
                    {
                        "group_id": other.id,
                        "group_name": other.name,
                        "group_full_path": self.state.group_full_path(other),
                        "group_access_level": level,
                        "expires_at": None,
                    }
                )
        return rows

    def namespace_of(self, project: Project) -> dict[str, Any]:
        group = self.state.project_group(project)
        if group is not None:
            return self.namespace_group(group)
        owner = self.state.user_by_namespace(project.namespace_id)
        assert owner is not None
        return self.namespace_user(owner)

    def namespace_group(self, group: Group) -> dict[str, Any]:
        return {
            "id": group.id,
            "name": group.name,
            "path": group.path,
            "kind": "group",
            "full_path": self.state.group_full_path(group),
            "parent_id": group.parent_id,
            "avatar_url": self.file_url(group.avatar),
            "web_url": self.group_url(group),
        }

    def namespace_user(self, user: User) -> dict[str, Any]:
        return {
            "id": user.namespace_id,
            "name": user.name,
            "path": user.username,
            "kind": "user",
            "full_path": user.username,
            "parent_id": None,
            "avatar_url": self.file_url(user.avatar) or avatar(user.email),
            "web_url": f"{self.base}/{user.username}",
        }

    def project(self, project: Project) -> dict[str, Any]:
        state = self.state
        full_path = state.project_full_path(project)
        namespace = self.namespace_of(project)
        web_url = self.project_url(project)
        host = self.base.split("://", 1)[-1]
        api = f"{self.base}/api/v4/projects/{project.id}"
        viewer = self.viewer
        direct = state.members.get(("project", project.id, viewer.id)) if viewer else None
        group = state.project_group(project)
        inherited = state.group_access(viewer, group) if viewer and group else 0
        open_issues = self._tally("open_issues")[project.id]
        data: dict[str, Any] = {
            "id": project.id,
            "description": project.description,
            "name": project.name,
            "name_with_namespace": f"{namespace['name']} / {project.name}"
            if group is None
            else f"{state.group_full_name(group)} / {project.name}",
            "path": project.path,
            "path_with_namespace": full_path,
            "created_at": project.created_at,
            "default_branch": project.default_branch,
            "tag_list": project.topics,
            "topics": project.topics,
            "ssh_url_to_repo": f"git@{host}:{full_path}.git",
            "http_url_to_repo": f"{web_url}.git",
            "web_url": web_url,
            "readme_url": None,
            "forks_count": sum(
                1 for p in state.projects.values() if p.forked_from_id == project.id
            ),
            "avatar_url": self.file_url(project.avatar),
            "star_count": len(project.starrers),
            "last_activity_at": project.last_activity_at,
            "visibility": project.visibility,
            "namespace": namespace,
            "container_registry_image_prefix": f"registry.{host}/{full_path}",
            "_links": {
                "self": api,
                "issues": f"{api}/issues",
                "merge_requests": f"{api}/merge_requests",
                "repo_branches": f"{api}/repository/branches",
                "labels": f"{api}/labels",
                "events": f"{api}/events",
                "members": f"{api}/members",
                "cluster_agents": f"{api}/cluster_agents",
            },
            "empty_repo": True,
            "archived": project.archived,
            "resolve_outdated_diff_discussions": False,
            "issues_enabled": project.issues_enabled,
            "merge_requests_enabled": True,
            "wiki_enabled": True,
            "jobs_enabled": True,
            "snippets_enabled": True,
            "container_registry_enabled": True,
            "issues_access_level": "enabled",
            "merge_requests_access_level": "enabled",
            "creator_id": project.creator_id,
            "import_status": "none",
            "open_issues_count": open_issues,
            "description_html": project.description,
            "updated_at": project.last_activity_at,
            "shared_runners_enabled": True,
            "lfs_enabled": True,
            "request_access_enabled": True,
            "shared_with_groups": [],
            "only_allow_merge_if_pipeline_succeeds": False,
            "printing_merge_request_link_enabled": True,
            "merge_method": "merge",
            "squash_option": "default_off",
            "issue_branch_template": None,
            "autoclose_referenced_issues": True,
            "can_create_merge_request_in": True,
            "container_registry_access_level": "enabled",
            "security_and_compliance_access_level": "private",
            "container_expiration_policy": {
                "cadence": "1d",
                "enabled": False,
                "keep_n": 10,
                "older_than": "90d",
                "name_regex": ".*",
                "name_regex_delete": ".*",
                "name_regex_keep": None,
                "next_run_at": project.created_at,
            },
            "import_url": None,
            "import_type": None,
            "import_error": None,
            "ci_forward_deployment_rollback_allowed": True,
            "ci_id_token_sub_claim_components": ["project_path", "ref_type", "ref"],
            "ci_restrict_pipeline_cancellation_role": "developer",
            "ci_pipeline_variables_minimum_override_role": "developer",
            "ci_push_repository_for_job_token_allowed": False,
            "ci_display_pipeline_variables": False,
            "protect_merge_request_pipelines": True,
            "public_jobs": True,
            "repository_storage": "default",
            "allow_merge_on_skipped_pipeline": False,
            "allow_pipeline_trigger_approve_deployment": False,
            "only_allow_merge_if_all_discussions_are_resolved": False,
            "remove_source_branch_after_merge": True,
            "printing_merge_requests_link_enabled": True,
            "external_authorization_classification_label": None,
            "packages_enabled": True,
            "service_desk_enabled": False,
            "service_desk_address": None,
            "suggestion_commit_message": None,
            "enforce_auth_checks_on_uploads": True,
            "merge_commit_template": None,
            "squash_commit_template": None,
            "warn_about_potentially_unwanted_characters": True,
            "secret_push_protection_enabled": False,
            "permissions": {
                "project_access": {
                    "access_level": direct.access_level,
                    "notification_level": 3,
                }
                if direct
                else None,
                "group_access": {"access_level": inherited, "notification_level": 3}
                if inherited
                else None,
            },
        }
        if group is None:  # GitLab names an owner for personal projects only
            owner = state.users[project.creator_id]
            data["owner"] = dict(self.user(owner), created_at=owner.created_at)
        source = state.projects.get(project.forked_from_id or 0)
        if source is not None:  # only forks carry it (GL:doc/api/projects.md)
            data["forked_from_project"] = self.project_basic(source)
        return data

    def project_basic(self, project: Project) -> dict[str, Any]:
        """The short project shape GitLab nests (a fork's `forked_from_project`)."""
        full = self.project(project)
        keys = (
            "id",
            "description",
            "name",
            "name_with_namespace",
            "path",
            "path_with_namespace",
            "created_at",
            "default_branch",
            "tag_list",
            "topics",
            "ssh_url_to_repo",
            "http_url_to_repo",
            "web_url",
            "readme_url",
            "forks_count",
            "avatar_url",
            "star_count",
            "last_activity_at",
            "namespace",
        )
        return {key: full[key] for key in keys}

    # -- planning objects ----------------------------------------------------------------------

    def label(
        self, label: Label, *, counts: bool = True, context: str | None = None
    ) -> dict[str, Any]:
        """A label; GitLab's single, create and edit answers carry the issue counts
        (`GL:doc/api/labels.md`), lists only with `with_counts`."""
        data: dict[str, Any] = {
            "id": label.id,
            "name": label.title,
            "description": label.description,
            "description_html": label.description or "",
            "text_color": text_color(label.color),
            "color": label.color,
            "subscribed": self.viewer is not None and self.viewer.id in label.subscribers,
            "priority": label.priority,
            "is_project_label": label.owner == "project",
            "archived": False,
        }
        if counts:
            items = [w for w in self.state.work_items.values() if label.id in w.label_ids]
            data["open_issues_count"] = sum(1 for w in items if w.state == "opened")
            data["closed_issues_count"] = sum(1 for w in items if w.state == "closed")
            data["open_merge_requests_count"] = 0
        return data

    def label_brief(self, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "name": label.title,
            "color": label.color,
            "description": label.description,
            "description_html": label.description or "",
            "text_color": text_color(label.color),
        }

    def milestone(self, milestone: Milestone) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": milestone.id,
            "iid": milestone.iid,
            "title": milestone.title,
            "description": milestone.description,
            "state": milestone.state,
            "created_at": milestone.created_at,
            "updated_at": milestone.updated_at,
            "due_date": milestone.due_date,
            "start_date": milestone.start_date,
            "expired": bool(milestone.due_date and milestone.due_date < now().date()),
            "web_url": self.milestone_url(milestone),
        }
        if milestone.owner == "project":
            data["project_id"] = milestone.owner_id
        else:
            data["group_id"] = milestone.owner_id
        return data

    def issue(self, item: WorkItem) -> dict[str, Any]:
        state = self.state
        project = state.projects[item.project_id]  # type: ignore[index]
        full_path = state.project_full_path(project)
        api = f"{self.base}/api/v4/projects/{project.id}"
        labels = [state.labels[i] for i in item.label_ids if i in state.labels]
        assignees = [self.user(state.users[u]) for u in item.assignee_ids if u in state.users]
        milestone = state.milestones.get(item.milestone_id or 0)
        votes = self._tally("votes")
        closed_by = state.users.get(item.closed_by_id or 0)
        if self.with_label_details:
            label_field: list[Any] = [self.label_brief(label) for label in labels]
        else:
            label_field = [label.title for label in labels]
        data: dict[str, Any] = {
            "id": item.id,
            "iid": item.iid,
            "project_id": project.id,
            "title": item.title,
            "description": item.description,
            "state": item.state,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "closed_at": item.closed_at,
            "closed_by": self.user(closed_by) if closed_by else None,
            "labels": label_field,
            "milestone": self.milestone(milestone) if milestone else None,
            "assignees": assignees,
            "author": self.user(state.users[item.author_id]),
            "type": item.kind.upper(),
            "assignee": assignees[0] if assignees else None,
            "user_notes_count": self._tally("notes")[item.id],
            "merge_requests_count": 0,
            "upvotes": votes[("Issue", item.id, "thumbsup")],
            "downvotes": votes[("Issue", item.id, "thumbsdown")],
            "due_date": item.due_date,
            "confidential": item.confidential,
            "discussion_locked": bool(item.discussion_locked),
            "issue_type": item.kind,
            "web_url": self.item_url(item),
            "time_stats": self.time_stats(item),
            "task_completion_status": {"count": 0, "completed_count": 0},
            "blocking_issues_count": 0,
            "has_tasks": False,
            "task_status": "0 of 0 checklist items completed",
            "_links": {
                "self": f"{api}/issues/{item.iid}",
                "notes": f"{api}/issues/{item.iid}/notes",
                "award_emoji": f"{api}/issues/{item.iid}/award_emoji",
                "project": api,
                "closed_as_duplicate_of": None,
            },
            "references": {
                "short": f"#{item.iid}",
                "relative": f"#{item.iid}",
                "full": f"{full_path}#{item.iid}",
            },
            "severity": "UNKNOWN",
            "subscribed": self.viewer is not None and self.viewer.id in item.subscribers,
            "moved_to_id": None,
            "imported": False,
            "imported_from": "none",
            "service_desk_reply_to": None,
        }
        if state.tier != "free":
            parent = state.work_items.get(item.parent_id or 0)
            epic = parent if parent is not None and parent.is_epic else None
            data["weight"] = item.weight
            data["epic_iid"] = epic.iid if epic else None
            data["epic"] = self.epic_brief(epic) if epic else None
            data["iteration"] = None
            data["health_status"] = item.health_status
        return data

    def epic_brief(self, epic: WorkItem) -> dict[str, Any]:
        return {
            "id": epic.legacy_epic_id,
            "iid": epic.iid,
            "title": epic.title,
            "url": f"/groups/{self.state.group_full_path(self.state.groups[epic.group_id])}"  # type: ignore[index]
            f"/-/epics/{epic.iid}",
            "group_id": epic.group_id,
            "human_readable_end_date": None,
            "human_readable_timestamp": None,
        }

    def epic(self, epic: WorkItem) -> dict[str, Any]:
        state = self.state
        group = state.groups[epic.group_id]  # type: ignore[index]
        full_path = state.group_full_path(group)
        parent = state.work_items.get(epic.parent_id or 0)
        labels = [state.labels[i] for i in epic.label_ids if i in state.labels]
        votes = self._tally("votes")
        api = f"{self.base}/api/v4/groups/{group.id}/epics/{epic.iid}"
        return {
            "id": epic.legacy_epic_id,
            "work_item_id": epic.id,
            "iid": epic.iid,
            "group_id": group.id,
            "parent_id": parent.legacy_epic_id if parent else None,
            "parent_iid": parent.iid if parent else None,
            "title": epic.title,
            "description": epic.description,
            "confidential": epic.confidential,
            "author": self.user(state.users[epic.author_id]),
            "start_date": epic.start_date,
            "start_date_is_fixed": epic.start_date is not None,
            "start_date_fixed": epic.start_date,
            "start_date_from_milestones": None,
            "start_date_from_inherited_source": None,
            "end_date": epic.due_date,
            "due_date": epic.due_date,
            "due_date_is_fixed": epic.due_date is not None,
            "due_date_fixed": epic.due_date,
            "due_date_from_milestones": None,
            "due_date_from_inherited_source": None,
            "state": epic.state,
            "web_edit_url": f"{self.group_url(group)}/-/epics/{epic.iid}",
            "web_url": self.item_url(epic),
            "reference": f"&{epic.iid}",
            "references": {
                "short": f"&{epic.iid}",
                "relative": f"&{epic.iid}",
                "full": f"{full_path}&{epic.iid}",
            },
            "created_at": epic.created_at,
            "updated_at": epic.updated_at,
            "closed_at": epic.closed_at,
            "labels": [label.title for label in labels],
            "upvotes": votes[("Issue", epic.id, "thumbsup")],
            "downvotes": votes[("Issue", epic.id, "thumbsdown")],
            "color": "#1068bf",
            "subscribed": self.viewer is not None and self.viewer.id in epic.subscribers,
            "imported": False,
            "imported_from": "none",
            "_links": {
                "self": api,
                "epic_issues": f"{api}/issues",
                "group": f"{self.base}/api/v4/groups/{group.id}",
                "parent": f"{self.base}/api/v4/groups/{group.id}/epics/{parent.iid}"
                if parent
                else None,
            },
        }

    def note(self, note: Note) -> dict[str, Any]:
        item = self.state.work_items[note.noteable_id]
        votes = self._tally("votes")
        return {
            "id": note.id,
            "type": None if note.individual else "DiscussionNote",
            "body": note.body,
            "attachment": None,
            "author": self.user(self.state.users[note.author_id]),
            "created_at": note.created_at,
            "updated_at": note.updated_at,
            "system": note.system,
            "noteable_id": item.id,
            "noteable_type": "Epic" if item.is_epic else "Issue",
            "project_id": item.project_id,
            "resolvable": False,
            "confidential": note.internal,
            "internal": note.internal,
            "imported": False,
            "imported_from": "none",
            "noteable_iid": item.iid,
            "commands_changes": {},
            "upvotes": votes[("Note", note.id, "thumbsup")],
            "downvotes": votes[("Note", note.id, "thumbsdown")],
        }

    def award(self, award: AwardEmoji) -> dict[str, Any]:
        return {
            "id": award.id,
            "name": award.name,
            "user": self.user(self.state.users[award.user_id]),
            "created_at": award.created_at,
            "updated_at": award.updated_at,
            "awardable_id": award.awardable_id,
            "awardable_type": award.awardable_type,
            "url": None,
        }

    def board(self, board: Board) -> dict[str, Any]:
        state = self.state
        milestone = state.milestones.get(board.milestone_id or 0)
        assignee = state.users.get(board.assignee_id or 0)
        data: dict[str, Any] = {
            "id": board.id,
            "name": board.name,
            "hide_backlog_list": board.hide_backlog_list,
            "hide_closed_list": board.hide_closed_list,
            "milestone": self.milestone(milestone) if milestone else None,
            "assignee": self.user(assignee) if assignee else None,
            "labels": [
                self.label_brief(state.labels[i]) for i in board.label_ids if i in state.labels
            ],
            "weight": board.weight,
            "lists": [self.board_list(item) for item in sorted(board.lists, key=_position)],
        }
        if board.owner == "project":
            full = self.project(state.projects[board.owner_id])
            data["project"] = {key: full[key] for key in BOARD_PROJECT_KEYS}
            data["group"] = None
        else:
            data["group"] = {
                "id": board.owner_id,
                "name": state.groups[board.owner_id].name,
                "web_url": self.group_url(state.groups[board.owner_id]),
            }
        return data

    def board_list(self, item: BoardList) -> dict[str, Any]:
        state = self.state
        label = state.labels.get(item.label_id or 0)
        milestone = state.milestones.get(item.milestone_id or 0)
        assignee = state.users.get(item.assignee_id or 0)
        return {
            "id": item.id,
            "label": self.label_brief(label) if label else None,
            "position": item.position,
            "list_type": item.list_type,
            "max_issue_count": 0,
            "max_issue_weight": 0,
            "limit_metric": None,
            "milestone": self.milestone(milestone) if milestone else None,
            "assignee": self.user(assignee) if assignee else None,
            "iteration": None,
            "collapsed": False,
        }

    def hook(self, hook: Hook) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": hook.id,
            "url": hook.url,
            "name": hook.name,
            "description": hook.description,
            "created_at": hook.created_at,
            # GL:doc/api/group_webhooks.md shows it on every hook; system hooks' own trigger
            "repository_update_events": False,
            **hook.events,
            "enable_ssl_verification": hook.enable_ssl_verification,
            "push_events_branch_filter": hook.push_events_branch_filter,
            "branch_filter_strategy": hook.branch_filter_strategy,
            "alert_status": self.alert_status(hook),
            "disabled_until": hook.disabled_until,
            "url_variables": [],
            "custom_webhook_template": hook.custom_webhook_template,
            "custom_headers": [{"key": h["key"]} for h in hook.custom_headers],
            "token_present": bool(hook.token),
            "signing_token_present": bool(hook.signing_token),
        }
        if hook.kind == "project":
            data["project_id"] = hook.owner_id
        elif hook.kind == "group":
            data["group_id"] = hook.owner_id
        return data

    @staticmethod
    def alert_status(hook: Hook) -> str:
        if hook.permanently_disabled:
            return "disabled"
        if hook.disabled_until is not None and hook.disabled_until > now():
            return "temporarily_disabled"
        return "executable"

    def hook_log(self, log: HookLog) -> dict[str, Any]:
        return {
            "id": log.id,
            "url": log.url,
            "trigger": log.trigger,
            "request_headers": log.request_headers,
            "request_data": log.request_data,
            "response_headers": log.response_headers,
            "response_body": log.response_body,
            "execution_duration": log.execution_duration,
            "response_status": log.response_status,
            "internal_error_message": log.internal_error_message,
            "created_at": log.created_at,
            "updated_at": log.created_at,
        }

    # -- resource events (GL:doc/api/resource_*_events.md) --------------------------------------

    def resource_event(self, event: ResourceEvent) -> dict[str, Any]:
        state = self.state
        item = state.work_items.get(event.item_id)
        actor = state.users.get(event.user_id) or state.ghost()
        data: dict[str, Any] = {
            "id": event.id,
            "user": self.user(actor),
            "created_at": event.created_at,
        }
        if event.kind == "weight":
            data["issue_id"] = event.item_id
            data["weight"] = event.weight
            return data
        data["resource_type"] = "Epic" if item is not None and item.is_epic else "Issue"
        data["resource_id"] = (
            item.legacy_epic_id if item is not None and item.is_epic else event.item_id
        )
        if event.kind == "label":
            label = state.labels.get(event.label_id or 0)
            data["label"] = (
                {
                    "id": label.id,
                    "name": label.title,
                    "color": label.color,
                    "description": label.description,
                }
                if label
                else None
            )
            data["action"] = event.action
        elif event.kind == "milestone":
            milestone = state.milestones.get(event.milestone_id or 0)
            data["milestone"] = self.milestone(milestone) if milestone else None
            data["action"] = event.action
        else:
            data["state"] = event.state
        return data


def _position(item: BoardList) -> int:
    return item.position
