"""GitLab.com's documented per-user rate limits, enforced when the sandbox is started with them.

Sources: `GL:doc/user/gitlab_com/rate_limits.md` ("Current rate limits": authenticated API
traffic for a user 2,000 a minute, issue creation 200 a minute, note creation on issues and
merge requests 60 a minute, single project requests `/api/v4/projects/:id` 400 a minute) and
`GL:doc/administration/settings/user_and_ip_rate_limits.md` ("Response headers": every response
of a Rack::Attack throttle carries `RateLimit-Limit`, `-Name`, `-Observed`, `-Remaining` and
`-Reset`; a throttled one adds `Retry-After` and `RateLimit-ResetTime`, with the plain-text body
`Retry later`). Application limits (issue and note creation, the Projects API) answer 429
without the informational headers ("Rate limiting responses for the Projects, Groups, and
Users APIs do not include informational headers").

The windows run on the sandbox's clock (`gitlab_sandbox/clock.py`), so a test can start a
burst at the start of a window. A limit counts per user, the owner of the token, whatever
connection or token the requests come through; windows are fixed and aligned to their period,
as Rack::Attack's are.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

PROFILES = ("gitlab.com",)
TOO_MANY = "This endpoint has been requested too many times. Try again later."


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    period: int
    applies: Callable[[str, str], bool]  # (method, route template) -> counted
    informational: bool  # a Rack::Attack throttle, whose headers every response carries
    per_project: bool = False  # counted per project and user, not per user alone


def _api(method: str, template: str) -> bool:
    return template.startswith("/api/")


def _issue_create(method: str, template: str) -> bool:
    return method == "POST" and template == "/api/v4/projects/{id}/issues"


def _note_create(method: str, template: str) -> bool:
    return method == "POST" and template in (
        "/api/v4/projects/{id}/issues/{issue_iid}/notes",
        "/api/v4/projects/{id}/issues/{issue_iid}/discussions",
        "/api/v4/projects/{id}/issues/{issue_iid}/discussions/{discussion_id}/notes",
    )


def _single_project(method: str, template: str) -> bool:
    return method == "GET" and template == "/api/v4/projects/{id}"


GITLAB_COM = (
    Limit("throttle_authenticated_api", 2000, 60, _api, True),
    # "applied independently per project and per user"
    # (GL:doc/administration/settings/rate_limit_on_issues_creation.md)
    Limit("issues_create", 200, 60, _issue_create, False, per_project=True),
    Limit("notes_create", 60, 60, _note_create, False),
    Limit("project_api", 400, 60, _single_project, False),
)


@dataclass
class Verdict:
    """What the limiter decided for one request: headers to add, and a 429 if throttled."""

    headers: dict[str, str]
    throttled: Limit | None = None
    retry_after: int = 0
    at: float = 0.0
    """When the request was counted, on the sandbox's clock."""

    def refusal(self) -> tuple[int, dict[str, str], bytes, str]:
        """(status, headers, body, media type) of the 429."""
        assert self.throttled is not None
        headers = dict(self.headers)
        headers["Retry-After"] = str(self.retry_after)
        if self.throttled.informational:
            headers["RateLimit-ResetTime"] = formatdate(self.at + self.retry_after, usegmt=True)
            return 429, headers, b"Retry later\n", "text/plain"
        body = json.dumps({"message": {"error": TOO_MANY}}).encode()
        return 429, headers, body, "application/json"


class RateLimiter:
    """Fixed-window counters per (limit, user); `profile` None counts nothing."""

    def __init__(self, profile: str | None, clock: Callable[[], float] = time.time) -> None:
        if profile is not None and profile not in PROFILES:
            raise ValueError(f"rate limits must be one of {', '.join(PROFILES)}, not {profile!r}")
        self.profile = profile
        self.limits = GITLAB_COM if profile == "gitlab.com" else ()
        self.clock = clock
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.counts: Counter[tuple[str, int, int]] = Counter()
            self.throttled: Counter[str] = Counter()

    def check(self, user_id: int, method: str, template: str, project: str = "") -> Verdict:
        """Count one request of `user_id` (to `project`, for the limits counted per project);
        the first limit it exceeds throttles it."""
        now = self.clock()
        verdict = Verdict({}, at=now)
        with self._lock:
            for limit in self.limits:
                if not limit.applies(method, template):
                    continue
                window = int(now // limit.period)
                name = f"{limit.name}:{project}" if limit.per_project else limit.name
                key = (name, user_id, window)
                self.counts[key] += 1
                observed = self.counts[key]
                if observed == 1:  # a new window: forget this user's older ones
                    for old in [k for k in self.counts if k[:2] == key[:2] and k[2] < window]:
                        del self.counts[old]
                reset = (window + 1) * limit.period
                if limit.informational:
                    verdict.headers.update(
                        {
                            "RateLimit-Limit": str(limit.limit),
                            "RateLimit-Name": limit.name,
                            "RateLimit-Observed": str(observed),
                            "RateLimit-Remaining": str(max(limit.limit - observed, 0)),
                            "RateLimit-Reset": str(reset),
                        }
                    )
                if observed > limit.limit:
                    self.throttled[limit.name] += 1
                    verdict.throttled = limit
                    verdict.retry_after = max(int(reset - now + 0.999), 1)
                    if not limit.informational:
                        verdict.headers = {}
                    break
        return verdict

    def snapshot(self) -> dict[str, Any]:
        """Counts in the current windows, per limit and user, and 429s answered so far."""
        now = self.clock()
        with self._lock:
            current: dict[str, dict[str, int]] = {}
            for (name, user_id, window), count in self.counts.items():
                base = name.split(":", 1)[0]
                period = next(limit.period for limit in self.limits if limit.name == base)
                if window == int(now // period):
                    current.setdefault(name, {})[str(user_id)] = count
            return {
                "profile": self.profile,
                "limits": {limit.name: limit.limit for limit in self.limits},
                "current": current,
                "throttled": dict(self.throttled),
            }
