"""The bot's webhooks on GitLab: found by URL, created or brought back in line, checked.

A group hook (Premium and Ultimate, `GL:doc/api/group_webhooks.md`, Owner role) covers every
project below the group; on Free each project gets a project hook
(`GL:doc/api/project_webhooks.md`, Maintainer role). A hook is the bot's when its URL is the
bot's webhook URL; nothing else is touched, nothing is deleted.

GitLab never returns a hook's secret token, so it cannot be compared: it is written when the
hook is created, whenever its URL changes (GitLab resets the token with the URL), and when
asked (`reset_secret`). A wrong secret shows in the hook's recent deliveries (GitLab 17.3+,
`GET .../hooks/:id/events`): the bot answers them 401.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import gitlab

from bot.gitlab.capabilities import Capabilities
from bot.gitlab.rest import enc, every, get, post, put

Kind = Literal["group", "project"]
TRIGGERS = (
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "confidential_note_events",
)
"""What every hook of the bot needs, on every tier and version (docs/service.md)."""
UNWANTED = ("push_events", "tag_push_events", "merge_requests_events", "pipeline_events")
"""Triggers the bot ignores: off, so GitLab does not send what the bot throws away."""


@dataclass(frozen=True)
class Target:
    """Where a hook lives: a group (with its path) or a project."""

    kind: Kind
    path: str

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"

    @property
    def base(self) -> str:
        return f"/{self.kind}s/{enc(self.path)}/hooks"


def wanted(kind: Kind, capabilities: Capabilities) -> dict[str, bool]:
    """Every trigger flag the bot's hook should have here, on or off."""
    flags = {name: True for name in TRIGGERS}
    if capabilities.milestone_events:
        flags["milestone_events"] = True
    if kind == "group" and capabilities.group_project_hooks:
        flags["project_events"] = True
    flags.update({name: False for name in UNWANTED})
    return flags


def drift(hook: Mapping[str, Any], flags: Mapping[str, bool]) -> list[str]:
    """What differs from the bot's hook, one phrase each (empty: in line)."""
    found = [
        f"{name} is {'on' if hook.get(name) else 'off'}, should be {'on' if on else 'off'}"
        for name, on in flags.items()
        if bool(hook.get(name)) != on
    ]
    if hook.get("enable_ssl_verification") is False:
        found.append("SSL verification is off")
    if hook.get("token_present") is False:
        found.append("no secret token")
    return found


def health(hook: Mapping[str, Any]) -> list[str]:
    """Whether GitLab will deliver: a hook disabled after failures sends nothing."""
    alert = str(hook.get("alert_status") or "executable")
    if alert == "executable":
        return []
    until = hook.get("disabled_until")
    return [f"GitLab {alert} the hook" + (f" until {until}" if until else "") + " after failures"]


def find(rest: gitlab.Gitlab, target: Target, url: str) -> dict[str, Any] | None:
    """The target's hook pointing at `url` (the first, by id), if any."""
    hooks = [
        h for h in every(rest, target.base) if str(h.get("url", "")).rstrip("/") == url.rstrip("/")
    ]
    return min(hooks, key=lambda h: int(h["id"])) if hooks else None


@dataclass
class Outcome:
    """What `install` did to one target's hook."""

    target: Target
    action: Literal["created", "updated", "unchanged"]
    changes: list[str] = field(default_factory=list)
    hook_id: int | None = None

    def line(self) -> str:
        why = f": {'; '.join(self.changes)}" if self.changes else ""
        return f"{self.target}: hook {self.action}{why}"


def install(
    rest: gitlab.Gitlab,
    target: Target,
    url: str,
    secret: str,
    capabilities: Capabilities,
    *,
    reset_secret: bool = False,
) -> Outcome:
    """Find the bot's hook by URL, create it if missing, or bring its triggers in line."""
    flags = wanted(target.kind, capabilities)
    existing = find(rest, target, url)
    body: dict[str, Any] = {"url": url, "enable_ssl_verification": True, **flags}
    if existing is None:
        created = post(rest, target.base, {**body, "name": "psdm-bot", "token": secret})
        return Outcome(target, "created", hook_id=int(created["id"]) if created else None)
    changes = drift(existing, flags) + health(existing)
    if reset_secret:
        changes.append("secret token written again")
    if not changes:
        return Outcome(target, "unchanged", hook_id=int(existing["id"]))
    put(rest, f"{target.base}/{existing['id']}", {**body, "token": secret})
    return Outcome(target, "updated", changes, int(existing["id"]))


def last_delivery(rest: gitlab.Gitlab, target: Target, hook_id: int) -> dict[str, Any] | None:
    """The hook's newest delivery of the last seven days (GitLab 17.3+), if GitLab keeps them."""
    try:
        events = get_list(rest, f"{target.base}/{hook_id}/events", per_page=20)
    except gitlab.GitlabHttpError as error:
        if error.response_code in (403, 404):
            return None
        raise
    return max(events, key=lambda e: int(e.get("id", 0)), default=None)


def get_list(rest: gitlab.Gitlab, path: str, **query: Any) -> list[dict[str, Any]]:
    answer: Any = rest.http_get(path, query_data=query or None)
    items = answer if isinstance(answer, list) else []
    return [item for item in items if isinstance(item, dict)]


def problems(
    rest: gitlab.Gitlab, target: Target, url: str, capabilities: Capabilities
) -> tuple[dict[str, Any] | None, list[str]]:
    """The bot's hook on `target` and what is wrong with it (empty when nothing is)."""
    hook = find(rest, target, url)
    if hook is None:
        return None, [f"no hook to {url}"]
    found = drift(hook, wanted(target.kind, capabilities)) + health(hook)
    delivery = last_delivery(rest, target, int(hook["id"]))
    if delivery is not None:
        status = str(delivery.get("response_status", ""))
        if status == "401":
            found.append(
                "its last delivery was refused 401: the hook's secret token is not one of "
                "PSDM_WEBHOOK_SECRET"
            )
        elif status and not status.startswith("2"):
            found.append(f"its last delivery got {status}")
    return hook, found


def send_test(rest: gitlab.Gitlab, target: Target, hook_id: int) -> str | None:
    """Have GitLab send a test delivery now (a push event, which the bot ignores); the
    service's refusal (401 for a wrong secret) comes back in GitLab's answer."""
    try:
        post(rest, f"{target.base}/{hook_id}/test/push_events", {})
    except gitlab.GitlabHttpError as error:
        return f"the test delivery failed: {error.error_message}"
    return None


def project_targets(rest: gitlab.Gitlab, group: str) -> list[Target]:
    """Every project below a group, each as a project-hook target (Free has no group hooks)."""
    projects = every(
        rest, f"/groups/{enc(group)}/projects", include_subgroups="true", archived="false"
    )
    return [Target("project", str(p["path_with_namespace"])) for p in projects]


def group_id(rest: gitlab.Gitlab, group: str) -> int:
    return int(get(rest, f"/groups/{enc(group)}", with_projects="false")["id"])


def targets_for(
    rest: gitlab.Gitlab, capabilities: Capabilities, groups: Sequence[str], projects: Sequence[str]
) -> list[Target]:
    """Group hooks where the tier has them, else a hook on each project of the group."""
    found: list[Target] = []
    for group in groups:
        if capabilities.epics:  # group webhooks come with Premium, as epics do
            found.append(Target("group", group))
        else:
            found.extend(project_targets(rest, group))
    found.extend(Target("project", p) for p in projects)
    return list(dict.fromkeys(found))


def refusal(error: Exception) -> str | None:
    """GitLab's refusal to show or change hooks, in words; None for anything else."""
    if not isinstance(error, gitlab.GitlabError):
        return None
    code = getattr(error, "response_code", None)
    role = " (hooks need Owner on a group, Maintainer on a project)" if code == 403 else ""
    return f"GitLab refused: {error}{role}"
