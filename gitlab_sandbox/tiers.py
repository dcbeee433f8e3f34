"""What each GitLab tier (Free, Premium, Ultimate) allows, as one table with its sources.

`GL:` names a file of GitLab's public source mirror `gitlabhq/gitlabhq`. Where this table and
the sandbox's older habits disagreed, the documentation won.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tier = Literal["free", "premium", "ultimate"]
TIERS: tuple[Tier, ...] = ("free", "premium", "ultimate")
DEFAULT_TIER: Tier = "premium"


@dataclass(frozen=True)
class Feature:
    tier: Tier
    source: str


FEATURES: dict[str, Feature] = {
    # Group epics holding issues: GL:doc/user/group/epics/_index.md "Tier: Premium, Ultimate".
    "epics": Feature("premium", "GL:doc/user/group/epics/_index.md"),
    # Epic -> epic: GL:doc/user/group/epics/manage_epics.md "Multi-level child epics - Tier:
    # Ultimate"; GL:doc/api/epic_links.md "If the Multi-level Epics feature is not available, a
    # 403 status code is returned"; in GraphQL the EE parent-link services refuse an epic child
    # without the `subepics` licensed feature (ee/.../work_items/parent_links/base_service.rb).
    "subepics": Feature("ultimate", "GL:doc/user/group/epics/manage_epics.md"),
    # Related and blocking links between epics: GL:doc/user/group/epics/linked_epics.md and
    # GL:doc/api/linked_epics.md, "Tier: Ultimate".
    "related_epics": Feature("ultimate", "GL:doc/user/group/epics/linked_epics.md"),
    # `blocks` / `is_blocked_by`: GL:doc/api/issue_links.md (link_type, Premium and Ultimate).
    "blocked_issues": Feature("premium", "GL:doc/api/issue_links.md"),
    # `key::value` labels are exclusive: GL:doc/user/project/labels.md "Scoped labels - Tier:
    # Premium, Ultimate"; on Free they are plain labels.
    "scoped_labels": Feature("premium", "GL:doc/user/project/labels.md"),
    # GL:doc/user/project/integrations/webhooks.md "Group webhooks - Tier: Premium, Ultimate".
    "group_webhooks": Feature("premium", "GL:doc/user/project/integrations/webhooks.md"),
    # GL:doc/api/group_iterations.md "Tier: Premium, Ultimate".
    "iterations": Feature("premium", "GL:doc/api/group_iterations.md"),
    # GL:doc/user/project/issues/issue_weight.md "Tier: Premium, Ultimate".
    "issue_weights": Feature("premium", "GL:doc/user/project/issues/issue_weight.md"),
    # GL:doc/user/project/issues/multiple_assignees_for_issues.md "Tier: Premium, Ultimate".
    "multiple_issue_assignees": Feature(
        "premium", "GL:doc/user/project/issues/multiple_assignees_for_issues.md"
    ),
    # GL:doc/user/project/issue_board.md: milestone/assignee/iteration lists, scoped boards.
    "board_scopes": Feature("premium", "GL:doc/user/project/issue_board.md"),
    # GL:doc/user/project/issues/managing_issues.md "Health status - Tier: Ultimate".
    "issuable_health_status": Feature("ultimate", "GL:doc/user/project/issues/managing_issues.md"),
    # GL:doc/api/dora/metrics.md "Tier: Ultimate".
    "dora4_analytics": Feature("ultimate", "GL:doc/api/dora/metrics.md"),
    # GL:doc/administration/license.md: a self-managed EE instance has a license.
    "license": Feature("premium", "GL:doc/api/license.md"),
}


def rank(tier: str) -> int:
    return TIERS.index(check_tier(tier))


def allows(tier: str, feature: str) -> bool:
    """Whether an instance on `tier` has `feature` (a key of FEATURES)."""
    return rank(tier) >= rank(FEATURES[feature].tier)


def check_tier(tier: str) -> Tier:
    for known in TIERS:
        if tier == known:
            return known
    raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {tier!r}")
