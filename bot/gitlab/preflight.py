"""Is this GitLab ready for the bot? The checks `psdm-bot doctor` runs, in order, each ending
in one finding with the fix when it fails; `/readyz` and the CLI use the first ones to say why
GitLab cannot be reached.

- the address answers GitLab's REST API (not a sign-in page, a proxy's page or nothing);
- TLS: the certificate is trusted by both clients (requests for REST, httpx for GraphQL and
  the dashboard's sign-in), or the certificate problem is named;
- the token: valid, active, its scopes (`GET /personal_access_tokens/self`,
  `GL:doc/api/personal_access_tokens.md`), the user it belongs to (`GET /user`);
- the user's role on each group and project the bot will manage
  (`GET /groups/:id/members/all/:user_id`, `GL:doc/api/members.md`);
- the instance: version, tier and what the bot does where a capability is missing.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx
import requests

from bot.gitlab.capabilities import Capabilities, detect
from bot.gitlab.connection import open_connection

CA_FIX = (
    "set PSDM_CA_BUNDLE to a PEM file holding your GitLab's certificate authority "
    "(it is given to REST, GraphQL and the dashboard's sign-in alike)"
)
ROLES = {10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}
SCOPES_FOR_SERVICE = ("api",)
DEVELOPER, MAINTAINER, OWNER = 30, 40, 50


@dataclass(frozen=True)
class Finding:
    """One check's result: `ok` None means it was not run (an earlier check failed)."""

    check: str
    ok: bool | None
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def skipped(check: str, because: str) -> Finding:
    return Finding(check, None, f"not checked: {because}")


def _certificate_problem(error: BaseException) -> str | None:
    """The certificate's own complaint, from anywhere in the exception's chain."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return str(current.verify_message or current.reason or current)
        if isinstance(current, ssl.SSLError):
            return str(current.reason or current)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return text.split("(Caused by")[-1].strip(" ()'\"") or text
    return None


def _html(response: requests.Response | httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "json" not in kind.lower()


@dataclass
class Probe:
    """Plain GETs to one GitLab with one token, for the checks (no pacing, short timeout)."""

    url: str
    token: str
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, **query: Any) -> requests.Response:
        return self.session.get(
            f"{self.url}/api/v4{path}",
            params=query or None,
            headers={"PRIVATE-TOKEN": self.token} if self.token else {},
            timeout=self.timeout,
            allow_redirects=False,
        )

    def json(self, path: str, **query: Any) -> Any | None:
        """A JSON answer of a 200, else None."""
        response = self.get(path, **query)
        if response.status_code != 200 or _html(response):
            return None
        return response.json()


def address(url: str) -> Finding:
    """The URL as configured: a scheme and a host (the settings normalise the rest)."""
    parts = urlsplit(url)
    if not url:
        return Finding("url", False, "no GitLab URL", "set GITLAB_URL to your instance's address")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return Finding(
            "url",
            False,
            f"{url!r} is no web address",
            f"set GITLAB_URL with its scheme, for example https://{url.split('://')[-1]}",
        )
    return Finding("url", True, url)


def _api_answer(response: requests.Response, url: str) -> Finding:
    """Whether the answer of `/api/v4/version` is GitLab's API."""
    status = response.status_code
    if 300 <= status < 400:
        target = response.headers.get("location", "elsewhere")
        sign_in = "/users/sign_in" in target
        return Finding(
            "api",
            False,
            f"{url}/api/v4 redirects to {target}"
            + (" (a sign-in page: the API is not served at this address)" if sign_in else ""),
            "set GITLAB_URL to the address GitLab serves its API on (scheme, host and any "
            "relative path, without /api/v4)",
        )
    if _html(response):
        return Finding(
            "api",
            False,
            f"{url}/api/v4/version answered {status} with a web page, not GitLab's REST API "
            "(a sign-in page, a proxy or another site)",
            "check GITLAB_URL: it must be the GitLab instance itself (for example "
            "https://gitlab.example.com), not a page in front of it",
        )
    if status == 404:
        return Finding(
            "api",
            False,
            f"{url}/api/v4 is not found (404)",
            "check GITLAB_URL: give the instance's address, without /api/v4",
        )
    if status in (200, 401, 403):
        return Finding("api", True, f"{url} answers GitLab's REST API")
    return Finding("api", False, f"{url}/api/v4/version answered {status}", "check GITLAB_URL")


def reach(probe: Probe) -> list[Finding]:
    """TLS (both clients) and the REST API; each finding names its cause."""
    try:
        response = probe.get("/version")
    except requests.exceptions.SSLError as error:
        problem = _certificate_problem(error) or str(error)
        return [Finding("tls", False, f"TLS to {probe.url} failed: {problem}", CA_FIX)]
    except requests.exceptions.ConnectionError as error:
        reason = _connection_reason(error)
        return [
            Finding(
                "api",
                False,
                f"cannot connect to {probe.url}: {reason}",
                "check GITLAB_URL (host and port) and the network: DNS, firewall, proxy",
            )
        ]
    except requests.exceptions.Timeout:
        return [
            Finding(
                "api",
                False,
                f"{probe.url} did not answer within {probe.timeout:g} s",
                "check GITLAB_URL and the network",
            )
        ]
    findings = []
    if probe.url.startswith("https://"):
        findings.append(_graphql_tls(probe))
    findings.append(_api_answer(response, probe.url))
    return findings


def _connection_reason(error: requests.exceptions.ConnectionError) -> str:
    text = str(error)
    for marker in ("Name or service not known", "nodename nor servname", "Connection refused"):
        if marker in text:
            return marker.lower()
    return text.split("Caused by")[-1].strip(" ()") if "Caused by" in text else text


def _graphql_tls(probe: Probe) -> Finding:
    """httpx (GraphQL, sign-in) trusts the certificate too, not only requests (REST)."""
    try:
        httpx.get(f"{probe.url}/api/v4/version", timeout=probe.timeout)
    except httpx.ConnectError as error:
        problem = _certificate_problem(error)
        if problem:
            return Finding(
                "tls",
                False,
                f"REST trusts {probe.url} but GraphQL and sign-in do not: {problem}",
                CA_FIX,
            )
        return Finding("tls", False, f"GraphQL cannot connect to {probe.url}: {error}", CA_FIX)
    except httpx.HTTPError:
        pass
    return Finding("tls", True, f"the certificate of {urlsplit(probe.url).netloc} is trusted")


@dataclass(frozen=True)
class TokenUser:
    id: int
    username: str
    admin: bool
    scopes: tuple[str, ...]


def token(
    probe: Probe, scopes: Sequence[str] = SCOPES_FOR_SERVICE
) -> tuple[Finding, TokenUser | None]:
    """The token is valid and active, has the scopes, and belongs to a user."""
    if not probe.token:
        return Finding("token", False, "no token", "set GITLAB_TOKEN"), None
    response = probe.get("/user")
    if response.status_code == 401:
        return (
            Finding(
                "token",
                False,
                "GitLab rejected the token (401): unknown, expired or revoked",
                "create a new token for the bot user (scope api) and set GITLAB_TOKEN",
            ),
            None,
        )
    if response.status_code != 200 or _html(response):
        return (
            Finding(
                "token", False, f"GET /user answered {response.status_code}", "check GITLAB_TOKEN"
            ),
            None,
        )
    me = response.json()
    own = probe.json("/personal_access_tokens/self") or {}
    granted = tuple(str(s) for s in own.get("scopes") or ())
    user = TokenUser(int(me["id"]), str(me["username"]), bool(me.get("is_admin")), granted)
    if own and own.get("active") is False:
        return Finding("token", False, "the token is not active", "create a new token"), user
    missing = [s for s in scopes if granted and s not in granted]
    if missing:
        return (
            Finding(
                "token",
                False,
                f"the token of {user.username} has scopes {', '.join(granted)}, "
                f"not {', '.join(missing)}",
                f"create a token with the scope{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} and set GITLAB_TOKEN",
            ),
            user,
        )
    shown = f"scopes {', '.join(granted)}" if granted else "scopes not readable"
    expires = f", expires {own['expires_at']}" if own.get("expires_at") else ""
    return Finding("token", True, f"user {user.username}, {shown}{expires}"), user


def _membership(probe: Probe, kind: str, path: str, user_id: int) -> int | None:
    """The user's access level in a group or project (inherited included), None if none."""
    found = probe.json(f"/{kind}s/{quote(path, safe='')}/members/all/{user_id}")
    return int(found["access_level"]) if isinstance(found, dict) else None


def role(
    probe: Probe,
    user: TokenUser,
    groups: Sequence[str],
    projects: Sequence[str],
    *,
    least: int = DEVELOPER,
) -> list[Finding]:
    """The bot user's role on every group and project it will manage."""
    findings = []
    for kind, path in [("group", g) for g in groups] + [("project", p) for p in projects]:
        if probe.json(f"/{kind}s/{quote(path, safe='')}") is None:
            findings.append(
                Finding(
                    "role",
                    False,
                    f"{kind} {path} not found, or {user.username} cannot see it",
                    f"check the {kind}'s path, and add {user.username} to it",
                )
            )
            continue
        level = _membership(probe, kind, path, user.id)
        if user.admin and (level or 0) < least:
            findings.append(Finding("role", True, f"{user.username} is an administrator ({path})"))
            continue
        name = ROLES.get(level or 0, "no role")
        if level is None or level < least:
            findings.append(
                Finding(
                    "role",
                    False,
                    f"{user.username} has {name} on {kind} {path}; the bot needs "
                    f"{ROLES[least]} or higher",
                    f"give {user.username} the {ROLES[least]} role on {path} "
                    f"({ROLES[OWNER]} to install group hooks)",
                )
            )
            continue
        hooks = (
            ""
            if level >= (OWNER if kind == "group" else MAINTAINER)
            else (f"; `hooks install` needs {ROLES[OWNER if kind == 'group' else MAINTAINER]}")
        )
        findings.append(Finding("role", True, f"{user.username} is {name} on {kind} {path}{hooks}"))
    if not findings:
        findings.append(
            Finding(
                "role",
                None,
                "not checked: no group or project given",
                "pass --group (or --project) for each one the bot will manage",
            )
        )
    return findings


def _group_id(probe: Probe, group: str | None) -> int | None:
    if group is None:
        return None
    found = probe.json(f"/groups/{quote(group, safe='')}", with_projects="false")
    return int(found["id"]) if isinstance(found, dict) else None


MISSING_INSTEAD = {
    "epics": "epics become project issues with the phase label",
    "parent_epics": "phase epics stay top level, listed in the engagement epic",
    "group_project_hooks": "new projects are scaffolded by `psdm-bot apply` or `/psdm apply`",
    "milestone_events": "the periodic sweep notices closed time-boxes",
    "dora": "reports say DORA metrics are unavailable",
}


def instance(url: str, token_: str, group: str | None) -> tuple[Finding, Capabilities | None]:
    """Version and tier as the adapter learns them, and what the bot does without a feature."""
    connection = open_connection(url, token_)
    probe = Probe(url, token_)
    try:
        capabilities = detect(connection.rest, _group_id(probe, group), None)
    except Exception as error:  # the finding carries the cause, the run goes on
        return Finding("instance", False, f"cannot read the version and tier: {error}"), None
    instead = [text for name, text in MISSING_INSTEAD.items() if not getattr(capabilities, name)]
    detail = capabilities.describe() + (
        f"; without some features: {'; '.join(instead)}" if instead else ""
    )
    return Finding("instance", True, detail), capabilities


def first_problem(url: str, token_: str, timeout: float = 5.0) -> str | None:
    """Why the bot cannot work with this GitLab, in one line; None when the basics hold.

    For `/readyz` and for the CLI when a request failed in a way GitLab's errors don't explain.
    """
    found = address(url)
    if not found.ok:
        return f"{found.detail}: {found.fix}"
    probe = Probe(url, token_, timeout=timeout)
    for finding in reach(probe):
        if finding.ok is False:
            return f"{finding.detail}: {finding.fix}"
    verdict, _ = token(probe, scopes=())
    if verdict.ok is False:
        return f"{verdict.detail}: {verdict.fix}"
    return None


Status = Literal["pass", "fail", "skip"]


def status(finding: Finding) -> Status:
    return "skip" if finding.ok is None else ("pass" if finding.ok else "fail")


def readiness_problem(url: str, token_: str, timeout: float = 3.0) -> str | None:
    """One request while all is well (`GET /version` answers JSON to the token); the full
    diagnosis only when it does not, so a periodic readiness check stays cheap."""
    try:
        response = Probe(url, token_, timeout=timeout).get("/version")
        if response.status_code == 200 and not _html(response):
            return None
    except requests.RequestException:
        pass
    return first_problem(url, token_, timeout) or f"no answer from {url}/api/v4/version"
