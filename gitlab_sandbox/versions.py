"""Which GitLab version the sandbox plays, and what exists from which version on.

One table (`SINCE`), one row per behaviour, each with the GitLab page that dates it (`GL:` is a
file of `gitlabhq/gitlabhq`). Before its version a GraphQL field or argument is absent from the
schema (so GitLab's "doesn't exist" / "doesn't accept argument" errors answer), a webhook event
is not sent, and a REST parameter is ignored as GitLab ignores parameters it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

Version = tuple[int, int]

LATEST: Version = (18, 6)
DEFAULT = "latest"
# The versions a user is most likely to meet, offered by name; any other minor release from
# OLDEST to LATEST is accepted too, so that each row below can be seen switched off.
NAMED = ("17.6", "18.0", "18.2", "latest")
OLDEST: Version = (16, 0)
LAST_MINOR = {16: 11, 17: 11, 18: LATEST[1]}


@dataclass(frozen=True)
class Since:
    version: Version
    source: str


SINCE: dict[str, Since] = {
    # Group webhook "Project events" (project_create / project_destroy), Premium.
    "group_project_events": Since((17, 6), "GL:doc/user/project/integrations/webhook_events.md"),
    # Milestone events (create, close, reopen).
    "milestone_events": Since((18, 2), "GL:doc/user/project/integrations/webhook_events.md"),
    # `object_attributes.action` (create / update) in a `Note Hook` payload.
    "note_hook_action": Since((16, 11), "GL:doc/user/project/integrations/webhook_events.md"),
    # `Namespace.workItems` (group work items, epics as work items), experiment.
    "namespace_work_items": Since((18, 1), "GL:doc/api/graphql/reference/_index.md"),
    # `Namespace.workItemTypes`, experiment.
    "namespace_work_item_types": Since((17, 2), "GL:doc/api/graphql/reference/_index.md"),
    # `WorkItemCreateInput.linkedItemsWidget` (at most 10 ids), MR 163339.
    "linked_items_on_create": Since((17, 4), "GL:doc/api/graphql/reference/_index.md"),
    # The `LINKED_ITEMS` widget and its `linkedItems` connection, experiment.
    "linked_items_widget": Since((16, 3), "GL:doc/api/graphql/reference/_index.md"),
    # `include_ancestors` on milestone lists (`include_parent_milestones` deprecated).
    "milestones_include_ancestors": Since((16, 7), "GL:doc/api/milestones.md"),
}


# Behaviours GitLab ships behind a feature flag, off unless an administrator turns them on; the
# sandbox turns them on only when asked (`create_app(feature_flags=...)`, `--feature-flag`).
FEATURE_FLAGS: dict[str, str] = {
    # Standard Webhooks signing (`signing_token`; `webhook-id`, `webhook-timestamp`,
    # `webhook-signature` headers): MR 230944, no release notes it as generally available.
    "webhook_signing_token": "GL:doc/user/project/integrations/webhooks.md",
}


class UnknownVersion(ValueError):
    """A version the sandbox cannot play."""


def check_flags(flags: Iterable[str]) -> frozenset[str]:
    unknown = sorted(set(flags) - set(FEATURE_FLAGS))
    if unknown:
        raise ValueError(
            f"unknown feature flag(s) {', '.join(unknown)}: known are {', '.join(FEATURE_FLAGS)}"
        )
    return frozenset(flags)


def parse(text: str) -> Version:
    """`latest`, `18.2` or `18.2.1` (the patch is ignored) -> (major, minor)."""
    if text == "latest":
        return LATEST
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", text.strip())
    if match is None:
        raise UnknownVersion(_unknown(text))
    version = (int(match[1]), int(match[2]))
    if not OLDEST <= version <= LATEST or version[1] > LAST_MINOR.get(version[0], -1):
        raise UnknownVersion(_unknown(text))
    return version


def _unknown(text: str) -> str:
    return (
        f"unknown GitLab version {text!r}: use {', '.join(NAMED)} "
        f"or any release from {show(OLDEST)} to {show(LATEST)}"
    )


def show(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def full(version: Version) -> str:
    """The `version` string `/version` answers (without the `-ee` suffix)."""
    return f"{version[0]}.{version[1]}.0"


def has(version: Version, feature: str) -> bool:
    return version >= SINCE[feature].version
