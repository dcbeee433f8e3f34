"""The CI/CD component templates/psdm.yml: its spec, the jobs each pipeline gets, and the jobs
run for real by gitlab-ci-local (shell executor) against `psdm-bot sandbox`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from ruamel.yaml import YAML

from tests.ship.harness import (
    REPO,
    ConsumerRepo,
    GitlabCiLocal,
    MergeRequestNotes,
    SandboxProcess,
    make_consumer_repo,
)

COMPONENT = REPO / "templates" / "psdm.yml"
JOBS = ("psdm:validate", "psdm:plan", "psdm:apply", "psdm:reconcile", "psdm:report")
PLAN_MARKER = "<!-- psdm-bot:plan -->"
VARS = "customer=Acme Corp\nstart_date=2026-01-06\n"
INPUTS = {
    "playbook": "playbooks/engagement.yml",
    "project": "acme/engagement",
    "image": "registry.example.com/tools/psdm-bot:0.1.0",
    "stage": "psdm",
    "vars": VARS,
}


def component_documents() -> tuple[dict[str, Any], dict[str, Any]]:
    header, body = YAML(typ="safe").load_all(COMPONENT.read_text())
    return header, body


def test_component_header_declares_playbook_project_image_and_stage_inputs() -> None:
    header, _ = component_documents()
    inputs = header["spec"]["inputs"]
    assert {"playbook", "project", "image", "stage"} <= set(inputs)
    assert "default" not in inputs["playbook"]
    assert "default" not in inputs["image"]
    assert inputs["project"]["default"] == "$CI_PROJECT_PATH"
    assert all(spec.get("description") for spec in inputs.values())


def test_every_interpolated_input_is_declared_and_every_declared_input_is_used() -> None:
    header, _ = component_documents()
    body_text = COMPONENT.read_text().split("\n---\n", 1)[1]
    used = set(re.findall(r"\$\[\[\s*inputs\.(\w+)\s*\]\]", body_text))
    assert used == set(header["spec"]["inputs"])


def flat(script: list[Any]) -> list[str]:
    """A job's script with the anchored parts (nested lists) in place, as GitLab runs it."""
    return [line for item in script for line in (flat(item) if isinstance(item, list) else [item])]


def test_component_defines_the_five_psdm_jobs_each_calling_psdm_bot() -> None:
    _, body = component_documents()
    jobs = {name: job for name, job in body.items() if not name.startswith(".")}
    assert tuple(jobs) == JOBS
    for name, job in jobs.items():
        command = name.split(":")[1]
        script = "\n".join(flat(job["script"]))
        expected = "plan" if command == "reconcile" else command
        assert f"psdm-bot {expected} " in script, name
        assert job["rules"], name


@pytest.fixture
def consumer(tmp_path: Path) -> ConsumerRepo:
    return make_consumer_repo(tmp_path / "consumer", INPUTS, "name: engagement\n", stages=["psdm"])


def test_preview_interpolates_the_inputs_into_every_job(
    gitlab_ci_local: GitlabCiLocal, consumer: ConsumerRepo
) -> None:
    done = gitlab_ci_local.run(consumer.path, "--preview")
    assert done.returncode == 0, done.stderr + done.stdout
    preview = YAML(typ="safe").load(done.stdout[done.stdout.index("---") :])
    for name in JOBS:
        job = preview[name]
        assert job["image"]["name"] == "registry.example.com/tools/psdm-bot:0.1.0"
        assert job["stage"] == "psdm"
        assert job["variables"]["PSDM_PLAYBOOK"] == "playbooks/engagement.yml"
        assert job["variables"]["PSDM_PROJECT"] == "acme/engagement"
        assert job["variables"]["PSDM_VARS"] == VARS
    assert "$[[" not in done.stdout


MR = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "1"}
PROTECTED = {"CI_COMMIT_REF_PROTECTED": "true"}


@pytest.mark.parametrize(
    ("branch", "changed", "variables", "expected"),
    [
        ("feature", "playbooks/engagement.yml", MR, ["psdm:plan", "psdm:validate"]),
        ("feature", "README.md", MR, []),
        (
            "main",
            "playbooks/engagement.yml",
            {"CI_PIPELINE_SOURCE": "push", **PROTECTED},
            ["psdm:apply"],
        ),
        ("main", "playbooks/engagement.yml", {"CI_PIPELINE_SOURCE": "push"}, []),
        ("main", "README.md", {"CI_PIPELINE_SOURCE": "push", **PROTECTED}, []),
        ("main", "README.md", {"CI_PIPELINE_SOURCE": "web", **PROTECTED}, ["psdm:apply"]),
        ("feature", "playbooks/engagement.yml", {"CI_PIPELINE_SOURCE": "push"}, []),
        ("main", None, {"CI_PIPELINE_SOURCE": "schedule", **PROTECTED}, ["psdm:reconcile"]),
        ("main", None, {"CI_PIPELINE_SOURCE": "schedule"}, []),
        (
            "main",
            None,
            {"CI_PIPELINE_SOURCE": "schedule", "PSDM_SCHEDULE": "report", **PROTECTED},
            ["psdm:report"],
        ),
    ],
    ids=[
        "mr-touching-playbook",
        "mr-elsewhere",
        "default-branch-playbook",
        "unprotected-default-branch",
        "default-branch-elsewhere",
        "default-branch-run-by-hand",
        "feature-branch-push",
        "schedule",
        "schedule-on-an-unprotected-ref",
        "weekly-report-schedule",
    ],
)
def test_each_pipeline_gets_only_its_psdm_jobs(
    gitlab_ci_local: GitlabCiLocal,
    consumer: ConsumerRepo,
    branch: str,
    changed: str | None,
    variables: dict[str, str],
    expected: list[str],
) -> None:
    if branch != "main":
        consumer.change("notes.txt", "branch\n", branch=branch)
    if changed:
        consumer.change(changed, "# edited\n")
    assert gitlab_ci_local.jobs(consumer.path, variables) == expected


# ---------------------------------------------------------------------------------------------
# The jobs run for real: gitlab-ci-local's shell executor runs the component's scripts, which
# call this checkout's psdm-bot against a sandbox process.


@pytest.fixture
def engagement(sandbox_process: SandboxProcess, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A fresh engagement project in the sandbox: (full path, id)."""
    gl = sandbox_process.gitlab()
    name = f"engagement-{uuid4().hex[:8]}"
    group = gl.groups.create({"name": name, "path": name})
    project = gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    yield project.path_with_namespace, project.id


def shipped_repo(tmp_path: Path, project: str, variables: str = VARS) -> ConsumerRepo:
    """A consumer repository whose playbook is the shipped tool-adoption one, copied in."""
    inputs = {
        "playbook": "playbooks/tool-adoption.yml",
        "project": project,
        "image": "registry.example.com/tools/psdm-bot:0.1.0",
        "vars": variables,
    }
    repo = make_consumer_repo(tmp_path / "ops", inputs, "")
    (repo.path / "playbooks" / "engagement.yml").unlink()
    for playbook in (REPO / "playbooks").glob("*.yml"):
        shutil.copy(playbook, repo.path / "playbooks" / playbook.name)
    repo.change("playbooks/README.md", "The engagement's playbook.\n")
    return repo


def run_job(
    gitlab_ci_local: GitlabCiLocal,
    repo: ConsumerRepo,
    sandbox: SandboxProcess,
    job: str,
    variables: dict[str, str],
) -> tuple[int, str]:
    """Run one job as GitLab would: merge-request pipelines get the unprotected variables
    only (the read-only token), protected refs get the protected GITLAB_TOKEN too."""
    protected = variables.get("CI_COMMIT_REF_PROTECTED") == "true"
    tokens = {
        "GITLAB_TOKEN": sandbox.token if protected else "",
        "PSDM_READ_TOKEN": read_token(sandbox),
    }
    everything = {"GITLAB_URL": sandbox.url, **tokens, **variables}
    done = gitlab_ci_local.run(
        repo.path, "--force-shell-executor", job, variables=everything, timeout=600
    )
    return done.returncode, done.stdout + done.stderr


READ_ONLY: dict[str, str] = {}


def read_token(sandbox: SandboxProcess) -> str:
    """A Reporter's token with the read_api scope only (made once per sandbox process)."""
    if sandbox.url not in READ_ONLY:
        gl = sandbox.gitlab()
        user = gl.users.create(
            {
                "username": f"reader-{uuid4().hex[:6]}",
                "name": "Reader",
                "email": f"{uuid4().hex[:6]}@example.com",
                "force_random_password": True,
            }
        )
        made = gl.http_post(
            f"/users/{user.id}/personal_access_tokens",
            post_data={"name": "psdm-read", "scopes": ["read_api"]},
        )
        READ_ONLY[sandbox.url] = {"user": user.id, "token": made["token"]}  # type: ignore[assignment]
    return READ_ONLY[sandbox.url]["token"]  # type: ignore[index]


def reporter_on(sandbox: SandboxProcess, project: str) -> None:
    """The read-only token's user becomes a Reporter of the engagement's group."""
    read_token(sandbox)
    user_id = READ_ONLY[sandbox.url]["user"]  # type: ignore[index]
    group = sandbox.gitlab().groups.get(project.rsplit("/", 1)[0])
    group.members.create({"user_id": user_id, "access_level": 20})


def label_names(sandbox: SandboxProcess, project: str) -> set[str]:
    labels = sandbox.gitlab().projects.get(project).labels.list(get_all=True)
    return {label.name for label in labels}


def test_validate_job_passes_a_valid_playbook_and_fails_a_broken_one_with_its_position(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    repo = shipped_repo(tmp_path, engagement[0])
    repo.change("playbooks/tool-adoption.yml", "# reviewed\n", branch="feature")
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:validate", MR)
    assert code == 0, log

    repo.change("playbooks/tool-adoption.yml", "colour: blue\n")
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:validate", MR)
    assert code != 0
    assert re.search(r"tool-adoption\.yml:\d+:\d+: .*colour", log), log


def test_validate_job_fails_when_the_vars_input_lacks_a_required_variable(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    repo = shipped_repo(tmp_path, engagement[0], variables="start_date=2026-01-06\n")
    repo.change("playbooks/tool-adoption.yml", "# reviewed\n", branch="feature")
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:validate", MR)
    assert code != 0
    assert "missing required variable 'customer'" in log, log


def test_plan_job_posts_the_dry_run_on_the_merge_request_once_and_changes_nothing(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    merge_request_notes: MergeRequestNotes,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    project, _ = engagement
    reporter_on(sandbox_process, project)
    repo = shipped_repo(tmp_path, project)
    repo.change("playbooks/tool-adoption.yml", "# reviewed\n", branch="feature")
    merge_request = {
        **MR,
        "CI_PROJECT_ID": "4242",
        "CI_API_V4_URL": merge_request_notes.api_url,
        "PSDM_COMMENT_TOKEN": merge_request_notes.token,
    }

    for _ in range(2):
        code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:plan", merge_request)
        assert code == 0, log
        assert "plan posted as note" in log

    (note,) = merge_request_notes.notes[("4242", "1")]
    assert note["body"].startswith(PLAN_MARKER)
    assert "Workstream::Platform" in note["body"]
    assert not [line for line in note["body"].splitlines() if line.startswith("/")]
    assert (repo.path / "psdm-plan.md").read_text().strip() in note["body"].replace("\n /", "\n/")
    assert label_names(sandbox_process, project) == set()


def test_plan_job_fails_with_a_readable_reason_when_the_comment_is_refused(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    merge_request_notes: MergeRequestNotes,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    merge_request_notes.token = "a-token-the-job-does-not-hold"
    reporter_on(sandbox_process, engagement[0])
    repo = shipped_repo(tmp_path, engagement[0])
    repo.change("playbooks/tool-adoption.yml", "# reviewed\n", branch="feature")
    merge_request = {
        **MR,
        "CI_PROJECT_ID": "4242",
        "CI_API_V4_URL": merge_request_notes.api_url,
        "PSDM_COMMENT_TOKEN": "glpat-some-other-token",
    }
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:plan", merge_request)
    assert code != 0
    assert "could not post the plan on merge request !1: HTTP 401" in log
    assert "Traceback" not in log
    assert merge_request_notes.notes == {}


def test_apply_job_builds_the_engagement_and_reconcile_restores_what_a_person_deleted(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    project, _ = engagement
    repo = shipped_repo(tmp_path, project)

    code, log = run_job(
        gitlab_ci_local,
        repo,
        sandbox_process,
        "psdm:apply",
        {"CI_PIPELINE_SOURCE": "web", **PROTECTED},
    )
    assert code == 0, log
    built = label_names(sandbox_process, project)
    assert "Workstream::Platform" in built

    group = sandbox_process.gitlab().groups.get(project.rsplit("/", 1)[0])
    (platform,) = [
        label for label in group.labels.list(get_all=True) if label.name == "Workstream::Platform"
    ]
    group.labels.delete(platform.id)
    assert "Workstream::Platform" not in label_names(sandbox_process, project)
    schedule = {"CI_PIPELINE_SOURCE": "schedule", **PROTECTED}
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:reconcile", schedule)
    assert code == 0, log
    assert label_names(sandbox_process, project) == built

    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:reconcile", schedule)
    assert code == 0, log
    assert f"engagement {project} is in step with its playbook" in log


def test_report_job_writes_the_weekly_status_of_an_applied_engagement(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    project, _ = engagement
    # An engagement under way: its weekly status issue of this week exists only once the
    # scheduled report job finds or creates it.
    started = date.today() - timedelta(days=14)
    repo = shipped_repo(tmp_path, project, variables=f"customer=Acme Corp\nstart_date={started}\n")
    code, log = run_job(
        gitlab_ci_local,
        repo,
        sandbox_process,
        "psdm:apply",
        {"CI_PIPELINE_SOURCE": "web", **PROTECTED},
    )
    assert code == 0, log

    weekly = {"CI_PIPELINE_SOURCE": "schedule", "PSDM_SCHEDULE": "report", **PROTECTED}
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:report", weekly)
    assert code == 0, log
    report = (repo.path / "psdm-report.md").read_text()
    assert "gantt" in report
    posted = re.search(r"posted on #(\d+)", log)
    assert posted, log
    issue = sandbox_process.gitlab().projects.get(project).issues.get(int(posted[1]))
    bodies = [note.body for note in issue.notes.list(get_all=True)]
    assert any(report.strip()[:200] in body for body in bodies)


def test_plan_job_needs_only_the_read_only_token_and_never_uses_the_writing_one(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    project, _ = engagement
    reporter_on(sandbox_process, project)
    repo = shipped_repo(tmp_path, project)
    repo.change("playbooks/tool-adoption.yml", "# reviewed\n", branch="feature")
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:plan", MR)
    assert code == 0, log
    assert "to create" in (repo.path / "psdm-plan.md").read_text()
    assert "plan not posted on the merge request (no PSDM_COMMENT_TOKEN)" in log
    # an unprotected writing token in an MR pipeline is named, and still not used
    leaked = {**MR, "GITLAB_TOKEN": "glpat-writer", "PSDM_READ_TOKEN": ""}
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:plan", leaked)
    assert code != 0
    assert "GITLAB_TOKEN reaches this merge request pipeline: make it a protected variable" in log
    assert "set PSDM_READ_TOKEN (masked, not protected)" in log
    assert label_names(sandbox_process, project) == set()


def test_apply_refuses_to_run_without_the_protected_token(
    gitlab_ci_local: GitlabCiLocal,
    sandbox_process: SandboxProcess,
    engagement: tuple[str, int],
    tmp_path: Path,
) -> None:
    project, _ = engagement
    repo = shipped_repo(tmp_path, project)
    by_hand = {"CI_PIPELINE_SOURCE": "web", **PROTECTED, "GITLAB_TOKEN": ""}
    code, log = run_job(gitlab_ci_local, repo, sandbox_process, "psdm:apply", by_hand)
    assert code != 0
    assert "GITLAB_TOKEN is empty: make it a masked, protected variable" in log
    assert label_names(sandbox_process, project) == set()
