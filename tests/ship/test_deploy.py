"""deploy/compose.yml and the Kubernetes example in deploy/k8s: parsed and checked against each
other, against the Dockerfile and against the settings bot/config.py reads."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ruamel.yaml import YAML

from bot.config import Settings, load_settings
from tests.ship.harness import DOCKERFILE, REPO, instructions

DEPLOY = REPO / "deploy"
REQUIRED_ENV = {
    "GITLAB_URL",
    "GITLAB_TOKEN",
    "PSDM_WEBHOOK_SECRET",
    "PSDM_DATABASE_URL",
    "PSDM_EXECUTOR_ID",
}


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def settings_env_names() -> set[str]:
    """Every environment variable bot/config.py reads."""
    aliases = {field.validation_alias for field in Settings.model_fields.values()}
    return {alias for alias in aliases if isinstance(alias, str)} | {"PSDM_CONFIG"}


def image_port() -> int:
    command = json.loads(dict(instructions(DOCKERFILE.read_text()))["CMD"])
    return int(command[command.index("--port") + 1])


def image_uid() -> int:
    user = dict(instructions(DOCKERFILE.read_text()))["USER"]
    return int(user.split(":")[0])


def settings_from(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PSDM_CONFIG", str(config_file))
    monkeypatch.setenv("PSDM_WEBHOOK_SECRET", "s3cret")
    return load_settings()


# --- compose --------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return load(DEPLOY / "compose.yml")


def bots() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose()["services"].items() if name.startswith("bot-")}


def test_compose_runs_two_bot_instances_of_the_repository_image_and_postgresql() -> None:
    services = compose()["services"]
    assert len(bots()) == 2
    assert services["postgres"]["image"].startswith("postgres:")
    for service in bots().values():
        build = service["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert len({service["image"] for service in bots().values()}) == 1


def test_compose_bots_set_only_variables_the_service_reads_and_all_it_needs() -> None:
    for name, service in bots().items():
        names = set(service["environment"])
        assert names <= settings_env_names(), name
        assert names >= REQUIRED_ENV, name


def test_compose_bots_share_the_database_and_have_distinct_stable_executor_ids() -> None:
    postgres = compose()["services"]["postgres"]["environment"]
    urls = {service["environment"]["PSDM_DATABASE_URL"] for service in bots().values()}
    (url,) = urls
    parts = urlsplit(url)
    assert parts.scheme == "postgresql"
    assert parts.hostname == "postgres"
    assert parts.username == postgres["POSTGRES_USER"]
    assert parts.path.lstrip("/") == postgres["POSTGRES_DB"]
    ids = [service["environment"]["PSDM_EXECUTOR_ID"] for service in bots().values()]
    assert len(set(ids)) == len(ids) == 2
    assert all("$" not in executor_id for executor_id in ids)


def test_compose_proxy_spreads_webhooks_over_both_bots_on_the_image_port() -> None:
    command = compose()["services"]["proxy"]["command"]
    targets = [command[i + 1] for i, word in enumerate(command) if word == "--to"]
    assert sorted(targets) == sorted(f"{name}:{image_port()}" for name in bots())


def test_compose_mounts_a_config_file_the_settings_accept(monkeypatch: pytest.MonkeyPatch) -> None:
    for service in bots().values():
        target = service["environment"]["PSDM_CONFIG"]
        mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
        source = DEPLOY / mounts[target]
        assert source.is_file()
        settings = settings_from(source, monkeypatch)
        assert settings.rules[0].playbook == "from-topic"


# --- kubernetes -----------------------------------------------------------------------------


def manifests() -> dict[str, list[dict[str, Any]]]:
    """Every object the kustomization lists, by kind."""
    kustomization = load(DEPLOY / "k8s" / "kustomization.yml")
    objects: dict[str, list[dict[str, Any]]] = {}
    for resource in kustomization["resources"]:
        for document in YAML(typ="safe").load_all((DEPLOY / "k8s" / resource).read_text()):
            objects.setdefault(document["kind"], []).append(document)
    return objects


def test_kustomization_lists_every_manifest_in_the_directory() -> None:
    listed = set(load(DEPLOY / "k8s" / "kustomization.yml")["resources"])
    present = {path.name for path in (DEPLOY / "k8s").glob("*.yml")} - {"kustomization.yml"}
    assert listed == present


def statefulset() -> dict[str, Any]:
    (workload,) = manifests()["StatefulSet"]
    return workload


def container() -> dict[str, Any]:
    (main,) = statefulset()["spec"]["template"]["spec"]["containers"]
    return main


def test_statefulset_names_each_pod_stably_and_uses_the_pod_name_as_executor_id() -> None:
    workload = statefulset()
    assert workload["spec"]["replicas"] >= 2
    headless = [
        service
        for service in manifests()["Service"]
        if service["metadata"]["name"] == workload["spec"]["serviceName"]
    ]
    assert headless and headless[0]["spec"]["clusterIP"] == "None"
    env = {item["name"]: item for item in container()["env"]}
    assert env["PSDM_EXECUTOR_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_statefulset_env_names_are_what_the_service_reads_and_refer_to_existing_keys() -> None:
    env = {item["name"]: item for item in container()["env"]}
    assert set(env) <= settings_env_names()
    assert set(env) >= REQUIRED_ENV
    (config_map,) = manifests()["ConfigMap"]
    (secret,) = manifests()["Secret"]
    for name, item in env.items():
        source = item.get("valueFrom", {})
        if "configMapKeyRef" in source:
            ref, data = source["configMapKeyRef"], config_map["data"]
            assert ref["name"] == config_map["metadata"]["name"], name
        elif "secretKeyRef" in source:
            ref, data = source["secretKeyRef"], secret["stringData"]
            assert ref["name"] == secret["metadata"]["name"], name
        else:
            continue
        assert ref["key"] in data, name
    for secret_name in ("GITLAB_TOKEN", "PSDM_WEBHOOK_SECRET", "PSDM_DATABASE_URL"):
        assert "secretKeyRef" in env[secret_name]["valueFrom"], secret_name
    assert secret["stringData"]["PSDM_DATABASE_URL"].startswith("postgresql://")


def test_services_select_the_pods_and_reach_the_port_the_image_serves() -> None:
    pod_labels = statefulset()["spec"]["template"]["metadata"]["labels"]
    assert statefulset()["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ports = {port["name"]: port["containerPort"] for port in container()["ports"]}
    for service in manifests()["Service"]:
        assert service["spec"]["selector"].items() <= pod_labels.items()
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == image_port()
    probes = (container()["readinessProbe"], container()["livenessProbe"])
    assert {probe["httpGet"]["path"] for probe in probes} == {"/readyz", "/healthz"}
    assert all(ports[probe["httpGet"]["port"]] == image_port() for probe in probes)


def test_pods_run_as_the_image_user_without_privileges() -> None:
    pod = statefulset()["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == image_uid()
    assert container()["securityContext"]["allowPrivilegeEscalation"] is False


def test_configmap_config_file_is_mounted_where_psdm_config_points_and_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (config_map,) = manifests()["ConfigMap"]
    target = config_map["data"]["PSDM_CONFIG"]
    volumes = {v["name"]: v for v in statefulset()["spec"]["template"]["spec"]["volumes"]}
    mounts = [m for m in container()["volumeMounts"] if m["mountPath"] == posixpath.dirname(target)]
    (mount,) = mounts
    items = volumes[mount["name"]]["configMap"]["items"]
    (item,) = [i for i in items if i["path"] == posixpath.basename(target)]
    config_file = tmp_path / "config.yml"
    config_file.write_text(config_map["data"][item["key"]])
    settings = settings_from(config_file, monkeypatch)
    assert settings.rules[0].topic == "psdm::*"
