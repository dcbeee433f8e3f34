"""Settings of the webhook service: environment first, then an optional YAML file (PSDM_CONFIG).

Mistakes are caught before anything starts and told in one line each: an unknown key or
`PSDM_*` variable with the closest known name, a GitLab URL without a scheme, a missing file.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite:///.psdm/psdm.sqlite"
_PLAYBOOK_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class Rule(BaseModel):
    """Chooses the playbook for a newly created project; the first matching rule wins.

    A rule matches when every condition it sets holds: `namespace` (the project's namespace
    path or one of its parents), `topic` (a project topic, exact), `name` (a glob on the
    project path). `playbook: from-topic` takes the playbook from a `psdm::<playbook>` topic.
    """

    model_config = ConfigDict(extra="forbid")

    playbook: str
    namespace: str | None = None
    topic: str | None = None
    name: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)


DEFAULT_RULES = (Rule(playbook="from-topic", topic="psdm::*"),)


class Settings(BaseSettings):
    """Everything the service needs; unknown keys in the YAML file are errors."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True, env_ignore_empty=True)

    gitlab_url: str = Field("", validation_alias="GITLAB_URL")
    """The GitLab instance's address (`https://gitlab.example.com`); required by `serve`."""
    gitlab_token: str = Field("", validation_alias="GITLAB_TOKEN")
    ca_bundle: str | None = Field(None, validation_alias="PSDM_CA_BUNDLE")
    """A PEM file of the certificate authorities to trust for GitLab (REST, GraphQL, sign-in)."""
    webhook_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="PSDM_WEBHOOK_SECRET"
    )
    signing_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="PSDM_WEBHOOK_SIGNING_SECRET"
    )
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="PSDM_DATABASE_URL")
    executor_id: str = Field(
        default_factory=socket.gethostname, validation_alias="PSDM_EXECUTOR_ID"
    )
    application_version: str = Field("1", validation_alias="PSDM_APPLICATION_VERSION")
    bot_username: str | None = Field(None, validation_alias="PSDM_BOT_USERNAME")
    rules: list[Rule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    rate_limits: str = Field("instance", validation_alias="PSDM_RATE_LIMITS")
    """How requests to GitLab are paced: `instance` (GitLab.com's documented limits on
    gitlab.com; elsewhere the instance's own settings where the token may read them, else
    GitLab's self-managed defaults), `gitlab.com`, `self-managed`, `none` or `custom` (the
    counts in `custom_rate_limits`); a 429 is always waited out, and `RateLimit-*` headers
    stricter than these are followed (`bot/gitlab/limits.py`, docs/service.md)."""
    custom_rate_limits: Annotated[dict[str, int | None], NoDecode] = Field(
        default_factory=dict, validation_alias="PSDM_CUSTOM_RATE_LIMITS"
    )
    """With `rate_limits: custom`: requests_per_minute, issues_per_minute (per project),
    notes_per_minute, project_requests_per_minute; one left out or null paces nothing."""
    clock: Literal["system", "stand-in"] = Field("system", validation_alias="PSDM_CLOCK")
    """The date the bot decides on: `system` (real time, always in production) or `stand-in`
    (tests and the demo: the simulated date of the GitLab stand-in at `gitlab_url`, which must
    be on loopback; `bot/gitlab/clock.py`)."""
    concurrency: int = Field(8, ge=1, le=256, validation_alias="PSDM_CONCURRENCY")
    capabilities_minutes: float = Field(60, gt=0, le=7 * 24 * 60)
    """How long what the GitLab instance can do (version, tier) is kept before it is read again,
    so an upgrade or a new license is seen without a restart (`bot/gitlab/capabilities.py`)."""
    batch_interval_ms: float = Field(2.0, ge=0, le=1000)
    max_body_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    """The largest webhook body read: GitLab's own cap on what it sends (`REQUEST_BODY_SIZE_LIMIT
    = 25.megabytes`, GL:app/services/web_hook_service.rb; an issue event carries its description up
    to three times, each up to a million characters, GL:doc/administration/instance_limits.md,
    and JSON may spell a character in six bytes)."""
    max_bodies_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    """Bytes of webhook bodies held at once, signed or not, from the first byte read until
    the delivery is recorded (two bodies of the largest size); later bodies wait for room
    within `body_timeout_seconds`, then get a 503 to resend."""
    retention_days: float = Field(30, gt=0, le=3650, validation_alias="PSDM_RETENTION_DAYS")
    """How long handled deliveries, command outcomes, finished workflows and their activity
    are kept; confidential payloads lose their text once handled, whatever this says."""
    inline_parse_bytes: int = Field(64 * 1024, ge=0)
    """Bodies up to this size are parsed on the event loop (well under a millisecond);
    larger ones in a worker thread, so the loop keeps serving while they are checked."""
    queue_polling_seconds: float = Field(0.2, gt=0, le=10)
    label_sweep_minutes: float = Field(15, ge=0, validation_alias="PSDM_LABEL_SWEEP_MINUTES")
    """How often every recorded engagement's standard labels are checked; 0 disables."""
    portfolio_settle_seconds: float = Field(
        1.0, ge=0, le=3600, validation_alias="PSDM_PORTFOLIO_SETTLE_SECONDS"
    )
    """How long after an engagement's workflow its dashboard snapshot is read again (the
    engagements touched meanwhile are read together)."""
    command_roles: dict[str, str] = Field(default_factory=dict)
    """Lowest role per `/psdm` command, overriding the defaults (e.g. `plan: reporter`)."""
    command_rate_limit: int = Field(10, ge=1, validation_alias="PSDM_COMMAND_RATE_LIMIT")
    """`/psdm` commands one user may run per minute."""
    playbooks: dict[str, str] = Field(default_factory=dict)
    """Playbook files by name, beside the shipped ones; comments and events choose by name."""
    metrics_token: str | None = Field(None, validation_alias="PSDM_METRICS_TOKEN")
    """`/metrics` answers only with `Authorization: Bearer <token>`; unset, it answers 404."""
    metrics_port: int | None = Field(None, ge=1, le=65535, validation_alias="PSDM_METRICS_PORT")
    """Serve the metrics on a listener of their own (plain, on `metrics_host`) instead."""
    metrics_host: str = Field("127.0.0.1", validation_alias="PSDM_METRICS_HOST")
    readiness_seconds: float = Field(15, gt=0, le=3600)
    """How often readiness (database, GitLab) is checked; `/readyz` answers the last result."""
    body_timeout_seconds: float = Field(10, gt=0, le=300)
    """The most a client may take to send a webhook body."""
    keep_alive_seconds: float = Field(5, gt=0, le=300)
    """How long an idle keep-alive connection stays open."""
    max_unverified: int = Field(32, ge=1, le=10_000)
    """Signed deliveries whose body may be read at once before their signature is checked."""
    max_connections: int = Field(1000, ge=1, le=100_000)
    """Connections and requests served at once; beyond it uvicorn answers 503 at once."""

    @field_validator("gitlab_url")
    @classmethod
    def _gitlab_address(cls, value: str) -> str:
        return normalise_gitlab_url(value) if value else value

    @field_validator("ca_bundle")
    @classmethod
    def _ca_file(cls, value: str | None) -> str | None:
        if value and not Path(value).is_file():
            raise ValueError(f"PSDM_CA_BUNDLE points at {value}, which is not a file")
        return value or None

    @model_validator(mode="after")
    def _bodies_hold_the_largest(self) -> Settings:
        if self.max_bodies_bytes < self.max_body_bytes:
            raise ValueError("max_bodies_bytes must be at least max_body_bytes")
        return self

    @field_validator("rate_limits")
    @classmethod
    def _rate_limit_mode(cls, value: str) -> str:
        modes = ("instance", "gitlab.com", "self-managed", "none", "custom")
        if value not in modes:
            raise ValueError(f"rate_limits must be one of {', '.join(modes)}, not {value!r}")
        return value

    @field_validator("custom_rate_limits", mode="before")
    @classmethod
    def _custom_rate_limits_json(cls, value: Any) -> Any:
        """From the environment: a JSON object, or nothing at all for none."""
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("custom_rate_limits")
    @classmethod
    def _custom_rate_limits(cls, value: dict[str, int | None]) -> dict[str, int | None]:
        known = (
            "requests_per_minute",
            "issues_per_minute",
            "notes_per_minute",
            "project_requests_per_minute",
        )
        for name, count in value.items():
            if name not in known:
                raise ValueError(f"no rate limit is called {name!r}: {', '.join(known)}")
            if count is not None and count < 1:
                raise ValueError(f"rate limit {name} must be a whole number from 1, or null")
        return value

    @field_validator("playbooks")
    @classmethod
    def _playbook_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _PLAYBOOK_NAME.match(name) or ".." in name or name.endswith((".yml", ".yaml")):
                raise ValueError(f"{name!r} is no playbook name (lower-case letters, digits, -_.)")
        return value

    public_url: str | None = Field(None, validation_alias="PSDM_PUBLIC_URL")
    """Where people reach this service (the dashboard, the OAuth callback); links need it."""
    oauth_application_id: str = Field("", validation_alias="PSDM_OAUTH_APPLICATION_ID")
    oauth_application_secret: str = Field("", validation_alias="PSDM_OAUTH_APPLICATION_SECRET")
    """The GitLab OAuth application people sign in to the dashboard with (scope read_api)."""
    session_secret: str = Field("", validation_alias="PSDM_SESSION_SECRET")
    """Signs dashboard session cookies; derived from the application secret when empty."""
    ps_team_group: str = Field("", validation_alias="PSDM_PS_TEAM_GROUP")
    """The PS team's GitLab group (full path): its members see the dashboard's internal view
    (health reasons, budget, internal RAID, workflow log); everyone else the customer view."""

    def engagement_page(self, project_id: int) -> str | None:
        """The engagement's dashboard page, when the service knows its public URL."""
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}/engagements/{project_id}"

    @field_validator("webhook_secrets", "signing_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: Any) -> Any:
        """One secret or several separated by commas, so secrets can be rotated without a gap."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _require_a_secret(self) -> Settings:
        if not self.webhook_secrets and not self.signing_secrets:
            raise ValueError(
                "no webhook secret configured: set PSDM_WEBHOOK_SECRET or `webhook_secrets` "
                "in the PSDM_CONFIG file (the same value as the GitLab hook's secret token)"
            )
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://", "postgresql+"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get("PSDM_CONFIG")
        if path:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=Path(path)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a missing PSDM_CONFIG file is an error that names the path."""
    path = os.environ.get("PSDM_CONFIG")
    if path and not Path(path).is_file():
        raise FileNotFoundError(f"PSDM_CONFIG points at {path}, which is not a file")
    return Settings(**overrides)


class SettingsProblem(Exception):
    """The settings cannot be used; `lines` says what to fix, one mistake per line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def normalise_gitlab_url(url: str) -> str:
    """GitLab's address as the clients want it: a scheme, a host, no `/api/v4`, no slash.

    Raises ValueError with the fix for an address no client could use.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        guess = f"https://{url.removeprefix('//')}" if "://" not in url else None
        hint = f" (did you mean {guess}?)" if guess else ""
        raise ValueError(
            f"GITLAB_URL must start with https:// or http://, not {url!r}{hint}".replace("  ", " ")
        )
    if parts.query or parts.fragment:
        raise ValueError(f"GITLAB_URL must be the instance's address, without ?query or #: {url}")
    path = re.sub(r"/api/v4/?$", "", parts.path.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}{path}"


def setting_names() -> dict[str, str]:
    """Every setting's key in the YAML file, by the environment variable that also sets it."""
    names = {}
    for key, field in Settings.model_fields.items():
        alias = field.validation_alias
        names[alias if isinstance(alias, str) else key] = key
    return names


def _closest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    match = difflib.get_close_matches(word, list(known), n=1, cutoff=cutoff)
    return f": did you mean {match[0]!r}?" if match else ""


ENVIRONMENT_ONLY = (
    "PSDM_CONFIG",
    "PSDM_PLAYBOOKS",
    "PSDM_VERSION",
    "PSDM_IMAGE",
    "PSDM_PLAYBOOK",
    "PSDM_PROJECT",
    "PSDM_VARS",
    "PSDM_SCHEDULE",
)
"""`PSDM_*` variables read elsewhere than the settings: the config file's path, the playbook
directory, the image tag in Compose, the CI component's inputs."""


_SERVICE_LINKS = re.compile(
    r"_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_\w+)?)?)$"
)
"""Kubernetes gives each pod `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT_80_TCP`, ... for every
Service, so a Service named psdm-bot puts `PSDM_BOT_*` variables into the environment."""


def unknown_variables(env: Mapping[str, str] = os.environ) -> list[str]:
    """One line per `PSDM_*` variable that no setting reads but that is one typo away from
    one that does (other `PSDM_*` names may belong to the CI component or to tests)."""
    known = [name for name in setting_names() if name.startswith("PSDM_")]
    lines = []
    for name in sorted(env):
        if not name.startswith("PSDM_") or name in known or name in ENVIRONMENT_ONLY:
            continue
        if _SERVICE_LINKS.search(name):
            continue
        hint = _closest(name, known, cutoff=0.85)
        if hint:
            lines.append(f"unknown environment variable {name}{hint}")
    return lines


def explain_settings(error: ValidationError) -> list[str]:
    """One line per mistake: where it is (key or variable), what is wrong, the closest key."""
    keys = list(Settings.model_fields)
    aliases = {key: alias for alias, key in setting_names().items() if alias != key}
    lines = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        where = ".".join(loc) or "settings"
        if item["type"] == "extra_forbidden":
            lines.append(
                f"unknown setting {where!r} in the PSDM_CONFIG file{_closest(where, keys)}"
            )
            continue
        head = loc[0] if loc else ""
        if head in aliases and len(loc) == 1:
            where = f"{where} ({aliases[head]})"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if loc else message)
    return lines


def settings_or_problem(env: Mapping[str, str] = os.environ) -> Settings:
    """The settings, or SettingsProblem with every mistake on a line of its own."""
    lines = unknown_variables(env)
    try:
        settings = load_settings()
    except FileNotFoundError as error:
        raise SettingsProblem([*lines, str(error)]) from None
    except ValidationError as error:
        raise SettingsProblem([*lines, *explain_settings(error)]) from None
    if lines:
        raise SettingsProblem(lines)
    return settings


def require_gitlab(settings: Settings) -> list[str]:
    """What `serve` cannot start without: the GitLab to talk to and the token to do it with."""
    lines = []
    if not settings.gitlab_url:
        lines.append(
            "no GitLab URL: set GITLAB_URL to your instance's address, for example "
            "https://gitlab.example.com (https://gitlab.com for GitLab.com)"
        )
    if not settings.gitlab_token:
        lines.append(
            "no GitLab token: set GITLAB_TOKEN to the bot user's token with the `api` scope "
            "(`psdm-bot doctor` checks its scopes and role)"
        )
    return lines


def trust_ca_bundle(path: str | None, env: dict[str, str] | None = None) -> None:
    """Give the CA bundle to every client of the process: requests (python-gitlab's REST)
    reads REQUESTS_CA_BUNDLE, httpx (GraphQL, the dashboard's sign-in) reads SSL_CERT_FILE."""
    if not path:
        return
    target = os.environ if env is None else env
    target["REQUESTS_CA_BUNDLE"] = path
    target["SSL_CERT_FILE"] = path
