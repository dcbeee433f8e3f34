"""What the GitLab in front of the bot can do: its version, its tier, and each feature the bot
depends on, read once per instance (per group where GitLab.com's plans differ by group), kept
for the run (in the service, for `capabilities_minutes`) and handed to the rest of the
bot as one value.

Where each fact comes from (`../shared/gitlab/verified.md`):

- the version: `GET /metadata` (`GL:doc/api/metadata.md`), or `GET /version` before 15.2;
- the tier: Community Edition is Free; else `GET /license` (`GL:doc/api/license.md`,
  administrators only: `plan` is `premium`, `ultimate`, or the older `starter`/`bronze`,
  `silver`, `gold`), else the group's `plan` from `GET /namespaces/:id` (GitLab.com), else two
  cheap probes with the token's own rights: the group's epics list (403/404 on Free) and the
  DORA metrics API (Ultimate only, `GL:doc/api/dora/metrics.md`). The list of work-item types
  proves nothing: it names EPIC on every tier.

The features follow from the two: multi-level epics are Ultimate
(`GL:doc/user/group/epics/manage_epics.md`), `namespace.workItems` exists from 18.1, the
linked-items widget on create from 17.4, group project-create hooks from 17.6 (Premium),
milestone events from 18.2 (`GL:doc/user/project/integrations/webhook_events.md`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import gitlab

Tier = Literal["free", "premium", "ultimate"]
TIERS: tuple[Tier, ...] = ("free", "premium", "ultimate")
PLANS: dict[str, Tier] = {
    "free": "free",
    "default": "free",
    "starter": "premium",
    "bronze": "premium",
    "silver": "premium",
    "premium": "premium",
    "premium_trial": "premium",
    "gold": "ultimate",
    "ultimate": "ultimate",
    "ultimate_trial": "ultimate",
    "opensource": "ultimate",
}
LATEST = (99, 0)
"""A version GitLab did not tell: assume the newest."""


def parse_version(text: str | None) -> tuple[int, int]:
    found = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(found[1]), int(found[2])) if found else LATEST


@dataclass(frozen=True)
class Capabilities:
    """The instance as the bot plans for it; every feature is derived from version and tier."""

    version: str
    tier: Tier
    source: str
    """How the tier was learnt: `edition`, `license`, `plan` or `probe`."""

    @property
    def release(self) -> tuple[int, int]:
        return parse_version(self.version)

    def _from(self, major: int, minor: int, tier: Tier = "free") -> bool:
        return self.release >= (major, minor) and TIERS.index(self.tier) >= TIERS.index(tier)

    @property
    def epics(self) -> bool:
        return self._from(0, 0, "premium")

    @property
    def work_item_epics(self) -> bool:
        """Group epics read and written as work items (`namespace.workItems`, 18.1)."""
        return self._from(18, 1, "premium")

    @property
    def parent_epics(self) -> bool:
        """An epic under another epic (multi-level child epics): Ultimate only."""
        return self._from(0, 0, "ultimate")

    @property
    def linked_items_on_create(self) -> bool:
        return self._from(17, 4)

    @property
    def group_project_hooks(self) -> bool:
        return self._from(17, 6, "premium")

    @property
    def milestone_events(self) -> bool:
        return self._from(18, 2)

    @property
    def scoped_labels(self) -> bool:
        return self._from(0, 0, "premium")

    @property
    def weight(self) -> bool:
        return self._from(0, 0, "premium")

    @property
    def board_scopes(self) -> bool:
        return self._from(0, 0, "premium")

    @property
    def health_status(self) -> bool:
        return self._from(0, 0, "ultimate")

    @property
    def dora(self) -> bool:
        return self._from(0, 0, "ultimate")

    @property
    def epic_mode(self) -> Literal["work_items", "legacy", "issues"]:
        if self.work_item_epics:
            return "work_items"
        return "legacy" if self.epics else "issues"

    @property
    def unsupported(self) -> frozenset[str]:
        """Blueprint fields this instance cannot hold, as `kind.field`."""
        missing = set()
        if not self.weight:
            missing.add("issue.weight")
        if not self.board_scopes:
            missing.add("board.labels")
        return frozenset(missing)

    def placement(self) -> str:
        """How the blueprint's epic tree lands here, in a few words."""
        if not self.epics:
            return "epics as parent issues (no epics on Free)"
        how = "epics as work items" if self.work_item_epics else "legacy REST epics"
        if self.parent_epics:
            return f"{how}, phase epics under the engagement epic"
        return f"{how}, no parent epics: phases listed in the engagement epic"

    def describe(self) -> str:
        """One line for people: `GitLab 18.2, Premium: epics as work items, no parent epics...`"""
        major, minor = self.release
        shown = f"{major}.{minor}" if (major, minor) != LATEST else "(version unknown)"
        return f"GitLab {shown}, {self.tier.capitalize()}: {self.placement()}"

    def to_json(self) -> dict[str, object]:
        features = (
            "epics",
            "work_item_epics",
            "parent_epics",
            "linked_items_on_create",
            "group_project_hooks",
            "milestone_events",
            "scoped_labels",
            "weight",
            "board_scopes",
            "health_status",
            "dora",
        )
        return {
            "version": self.version,
            "tier": self.tier,
            "source": self.source,
            "epic_mode": self.epic_mode,
            "summary": self.describe(),
            "features": {name: bool(getattr(self, name)) for name in features},
        }


INSTANCE_WIDE = frozenset({"edition", "license"})
"""Sources that describe the whole instance: its edition and its license hold for every group.
A tier learnt from a group's plan (GitLab.com, per top-level group) or probed holds for that
group only."""


class CapabilityCache:
    """What each instance (and, where the tier is per group, each group) can do, read once and
    kept for `ttl` seconds (None: for as long as the process runs, as a CLI run does)."""

    def __init__(
        self, ttl: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.lock = threading.Lock()
        """Held while reading, so that workers asking at once read the instance only once."""
        self._found: dict[int | None, tuple[Capabilities, float]] = {}
        self._instance: tuple[Capabilities, float] | None = None

    def keep_for(self, seconds: float | None) -> None:
        """Keep what is read for `seconds` from now on (the service's setting)."""
        self.ttl = seconds

    def get(self, group: int | None) -> Capabilities | None:
        """What was read for the instance, or else for `group`, if still fresh."""
        for entry in (self._instance, self._found.get(group)):
            if entry is not None and self._fresh(entry[1]):
                return entry[0]
        return None

    def of_instance(self) -> Capabilities | None:
        """What holds for the whole instance, if read and still fresh (no request made)."""
        entry = self._instance
        return entry[0] if entry is not None and self._fresh(entry[1]) else None

    def put(self, group: int | None, found: Capabilities) -> None:
        entry = (found, self.clock())
        if found.source in INSTANCE_WIDE:
            self._instance = entry
        else:
            self._found[group] = entry

    def read(
        self, group: Callable[[], int | None], detect: Callable[[], Capabilities]
    ) -> Capabilities:
        """The capabilities for the group `group()` names, read with `detect` only when none
        are fresh. `group` is asked only when what holds for the whole instance is not known
        (or a tier learnt per group may apply), so the instance can be read before the
        project is."""
        with self.lock:
            found = self.of_instance()
            if found is None and self._found:
                found = self.get(group())
            if found is None:
                found = detect()
                self.put(None if found.source in INSTANCE_WIDE else group(), found)
            return found

    def _fresh(self, read_at: float) -> bool:
        return self.ttl is None or self.clock() - read_at < self.ttl


def _get(rest: gitlab.Gitlab, path: str, **query: Any) -> Any | None:
    """A read that may be refused: None on 401/403/404."""
    try:
        return rest.http_get(path, query_data=query or None)
    except gitlab.GitlabHttpError as error:
        if error.response_code in (401, 403, 404):
            return None
        raise


def detect(rest: gitlab.Gitlab, group_id: int | None, project_id: int | None) -> Capabilities:
    """Read the instance's version and tier with as few requests as the token allows."""
    return detect_lazily(rest, lambda: group_id, lambda: project_id)


def detect_lazily(
    rest: gitlab.Gitlab,
    group_of: Callable[[], int | None],
    project_of: Callable[[], int | None],
) -> Capabilities:
    """`detect`, asking for the project's group and id only where the instance does not tell
    the tier itself (so it can start before the project is read)."""
    meta = _get(rest, "/metadata") or _get(rest, "/version") or {}
    version = str(meta.get("version") or "")
    enterprise = bool(meta.get("enterprise", version.endswith("-ee")))
    if not enterprise:
        return Capabilities(version, "free", "edition")
    license_ = _get(rest, "/license")
    if isinstance(license_, dict) and "plan" in license_:
        return Capabilities(
            version, PLANS.get(str(license_.get("plan")).lower(), "free"), "license"
        )
    group_id = group_of()
    if group_id is not None:
        namespace = _get(rest, f"/namespaces/{group_id}") or {}
        if namespace.get("plan"):
            return Capabilities(version, PLANS.get(str(namespace["plan"]).lower(), "free"), "plan")
        if _get(rest, f"/groups/{group_id}/epics", per_page=1) is None:
            return Capabilities(version, "free", "probe")
    project_id = project_of()
    if project_id is None:
        return Capabilities(version, "premium", "probe")
    dora = _get(
        rest, f"/projects/{project_id}/dora/metrics", metric="deployment_frequency", interval="all"
    )
    return Capabilities(version, "ultimate" if dora is not None else "premium", "probe")
