"""The project's own .gitlab-ci.yml, read by gitlab-ci-local (schema check included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.ship.harness import REPO, GitlabCiLocal, git_repository

PIPELINE = REPO / ".gitlab-ci.yml"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A clone-like copy of the pipeline file in a git repository with a GitLab remote."""
    files = {
        ".gitlab-ci.yml": PIPELINE.read_text(),
        "pyproject.toml": (REPO / "pyproject.toml").read_text(),
        "CHANGELOG.md": (REPO / "CHANGELOG.md").read_text(),
    }
    remote = "git@gitlab.example.com:tools/psdm-bot.git"
    return git_repository(tmp_path / "psdm-bot", remote, files)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"CI_PIPELINE_SOURCE": "push"}, ["component", "container-image", "lint", "test"]),
        (
            {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7"},
            ["component", "container-image", "lint", "test"],
        ),
        (
            {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "1.2.0"},
            ["component", "container-image", "lint", "release", "test", "wheel"],
        ),
    ],
    ids=["default-branch", "merge-request", "release-tag"],
)
def test_pipeline_runs_lint_tests_component_and_image_and_releases_on_version_tags(
    gitlab_ci_local: GitlabCiLocal,
    checkout: Path,
    variables: dict[str, str],
    expected: list[str],
) -> None:
    assert gitlab_ci_local.jobs(checkout, variables) == expected


def preview(gitlab_ci_local: GitlabCiLocal, checkout: Path) -> dict[str, Any]:
    done = gitlab_ci_local.run(checkout, "--preview")
    assert done.returncode == 0, done.stderr + done.stdout
    return YAML(typ="safe").load(done.stdout[done.stdout.index("---") :])


def test_tests_run_with_a_postgresql_service_through_the_ci_entry_point(
    gitlab_ci_local: GitlabCiLocal, checkout: Path
) -> None:
    test = preview(gitlab_ci_local, checkout)["test"]
    (service,) = test["services"]
    assert service["name"].startswith("postgres:")
    assert test["variables"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert ".ci/run" in test["script"]
    assert (REPO / ".ci" / "run").is_file()


def test_lint_and_image_jobs_cover_ruff_hadolint_and_the_dockerfile(
    gitlab_ci_local: GitlabCiLocal, checkout: Path
) -> None:
    jobs = preview(gitlab_ci_local, checkout)
    assert "make lint" in jobs["lint"]["script"]
    assert ".venv/bin/hadolint Dockerfile" in jobs["lint"]["script"]
    build = "\n".join(jobs["container-image"]["script"])
    assert "buildah build" in build and "--file Dockerfile" in build
    assert "buildah push" in build
    assert "tests/ship" in "\n".join(jobs["component"]["script"])


def test_a_version_tag_releases_the_wheel_and_the_image_with_glab_not_release_cli(
    gitlab_ci_local: GitlabCiLocal, checkout: Path
) -> None:
    jobs = preview(gitlab_ci_local, checkout)
    release = jobs["release"]
    image = release["image"]["name"] if isinstance(release["image"], dict) else release["image"]
    assert image.startswith("registry.gitlab.com/gitlab-org/cli:")
    assert "gitlab-org/release-cli" not in PIPELINE.read_text()
    links = {link["link_type"]: link["url"] for link in release["release"]["assets"]["links"]}
    assert links["package"].endswith("/psdm_bot-$CI_COMMIT_TAG-py3-none-any.whl")
    assert "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" in links["image"]
    wheel = "\n".join(jobs["wheel"]["script"])
    assert "python -m build --wheel" in wheel and "packages/generic/psdm-bot" in wheel
    build = "\n".join(jobs["container-image"]["script"])
    assert "--build-arg" in build and "PSDM_VERSION=" in build
    needs = {need["job"] if isinstance(need, dict) else need for need in release["needs"]}
    assert needs == {"wheel", "container-image"}


def test_the_changelog_has_upgrade_notes_and_the_license_is_the_declared_one() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert "### Upgrading" in changelog
    license_text = (REPO / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    assert 'license = "MIT"' in (REPO / "pyproject.toml").read_text()
