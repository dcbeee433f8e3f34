"""Every setting where it is deployed: each environment variable bot/config.py reads is in the
Compose file, `.env.example`, the Kubernetes ConfigMap or Secret and the StatefulSet, and
docs/deploy.md; each key is in config.sample.yml and in docs/service.md's one table."""

from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML

from bot.config import Settings
from tests.ship.harness import REPO

DEPLOY = REPO / "deploy"
NOT_PER_DEPLOYMENT = {"PSDM_EXECUTOR_ID"}
"""Set per node (Compose service, pod name), not once for the deployment."""
COMPOSED = {"PSDM_DATABASE_URL": "POSTGRES_PASSWORD", "PSDM_APPLICATION_VERSION": "PSDM_VERSION"}
"""Compose builds these from another variable of `.env` (the database's password, the tag)."""


def env_names() -> set[str]:
    aliases = (field.validation_alias for field in Settings.model_fields.values())
    return {alias for alias in aliases if isinstance(alias, str)}


def load(path):
    return YAML(typ="safe").load(path.read_text())


@pytest.mark.parametrize("name", sorted(env_names()))
def test_every_environment_setting_is_in_every_deploy_file(name: str) -> None:
    example = (DEPLOY / ".env.example").read_text()
    compose = load(DEPLOY / "compose.yml")
    bots = [svc for key, svc in compose["services"].items() if key.startswith("bot-")]
    config_map = load(DEPLOY / "k8s" / "configmap.yml")["data"]
    secret = load(DEPLOY / "k8s" / "secret.yml")["stringData"]
    statefulset = load(DEPLOY / "k8s" / "statefulset.yml")
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert all(name in bot["environment"] for bot in bots), "compose.yml"
    assert f"`{name}`" in (REPO / "docs" / "deploy.md").read_text(), "docs/deploy.md"
    assert f"`{name}`" in (REPO / "docs" / "service.md").read_text(), "docs/service.md"
    if name in NOT_PER_DEPLOYMENT:
        return
    assert re.search(rf"^{COMPOSED.get(name, name)}=", example, re.M), ".env.example"
    assert name in config_map or name in secret, "k8s ConfigMap or Secret"
    assert name in {item["name"] for item in container["env"]}, "k8s StatefulSet"


SECRETS = {
    "GITLAB_TOKEN",
    "PSDM_WEBHOOK_SECRET",
    "PSDM_WEBHOOK_SIGNING_SECRET",
    "PSDM_DATABASE_URL",
    "PSDM_METRICS_TOKEN",
    "PSDM_OAUTH_APPLICATION_SECRET",
    "PSDM_SESSION_SECRET",
}


def test_secrets_live_in_the_kubernetes_secret_and_nothing_else_does() -> None:
    secret = set(load(DEPLOY / "k8s" / "secret.yml")["stringData"])
    config_map = set(load(DEPLOY / "k8s" / "configmap.yml")["data"])
    assert secret == SECRETS
    assert not config_map & SECRETS


@pytest.mark.parametrize("key", sorted(Settings.model_fields))
def test_every_key_is_in_the_sample_config_and_the_settings_table(key: str) -> None:
    sample = load(REPO / "config.sample.yml")
    assert key in sample, "config.sample.yml"
    table = (REPO / "docs" / "service.md").read_text()
    assert re.search(rf"^\| `{key}` \|", table, re.M), "docs/service.md settings table"


def test_the_dashboard_settings_are_set_in_the_sample_and_compose() -> None:
    sample = load(REPO / "config.sample.yml")
    assert sample["public_url"].startswith("https://")
    compose = (DEPLOY / "compose.yml").read_text()
    assert "PSDM_PUBLIC_URL: ${PSDM_PUBLIC_URL:-" in compose
