"""Authentication headers and what each role may do, seen through python-gitlab."""

from __future__ import annotations

import gitlab
import httpx
import pytest

from gitlab_sandbox.model import DEVELOPER, GUEST, MAINTAINER, REPORTER

SEED = {
    "users": [
        {"username": "rita", "token": "rita-token"},
        {"username": "gus", "token": "gus-token"},
        {"username": "dev", "token": "dev-token"},
        {"username": "stranger", "token": "stranger-token"},
    ],
    "groups": [
        {"path": "acme", "members": {"dev": DEVELOPER}},
        {"path": "team", "parent": "acme", "members": {"rita": REPORTER}},
    ],
    "projects": [{"path": "app", "namespace": "acme/team", "members": {"gus": GUEST}}],
}


@pytest.fixture
def seeded(sandbox):
    return sandbox.seed(SEED)


def test_private_token_bearer_and_job_token_authenticate(sandbox, seeded):
    url = f"{sandbox.url}/api/v4/user"
    for headers in (
        {"PRIVATE-TOKEN": "rita-token"},
        {"Authorization": "Bearer rita-token"},
        {"JOB-TOKEN": "rita-token"},
    ):
        assert httpx.get(url, headers=headers).json()["username"] == "rita"
    assert httpx.get(url, params={"private_token": "rita-token"}).json()["username"] == "rita"
    job_write = httpx.post(
        f"{sandbox.url}/api/v4/projects", headers={"JOB-TOKEN": "rita-token"}, json={"name": "x"}
    )
    assert job_write.status_code == 401
    assert gitlab.Gitlab(sandbox.url, oauth_token="dev-token").projects.get("acme/team/app")


def test_an_administrator_creates_users_and_their_tokens(sandbox):
    gl = sandbox.gitlab()
    user = gl.users.create(
        {"username": "pat", "name": "Pat", "email": "pat@example.com", "password": "s3cret-pw!"}
    )
    token = user.personal_access_tokens.create({"name": "bot", "scopes": ["api"]})
    as_pat = gitlab.Gitlab(sandbox.url, private_token=token.token)
    as_pat.auth()
    assert as_pat.user.username == "pat"
    with pytest.raises(gitlab.GitlabCreateError) as taken:
        gl.users.create(
            {"username": "pat", "name": "P", "email": "p2@example.com", "password": "s3cret-pw!"}
        )
    assert taken.value.response_code == 409
    with pytest.raises(gitlab.GitlabCreateError) as not_admin:
        as_pat.users.create(
            {"username": "x", "name": "X", "email": "x@example.com", "password": "s3cret-pw!"}
        )
    assert not_admin.value.response_code == 403


def test_a_reporter_cannot_create_labels_but_a_developer_can(sandbox, seeded):
    reporter = sandbox.gitlab("rita-token").projects.get("acme/team/app")
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        reporter.labels.create({"name": "x", "color": "#000000"})
    assert refused.value.response_code == 403
    assert refused.value.error_message == "403 Forbidden"
    developer = sandbox.gitlab("dev-token").projects.get("acme/team/app")
    assert developer.labels.create({"name": "x", "color": "#000000"}).name == "x"
    assert reporter.milestones.create({"title": "Reporter may plan"}).title


def test_a_guest_sees_no_confidential_issues(sandbox, seeded):
    root = sandbox.gitlab().projects.get("acme/team/app")
    secret = root.issues.create({"title": "secret", "confidential": True})
    root.issues.create({"title": "open"})
    guest = sandbox.gitlab("gus-token").projects.get("acme/team/app")
    assert [i.title for i in guest.issues.list()] == ["open"]
    with pytest.raises(gitlab.GitlabGetError) as hidden:
        guest.issues.get(secret.iid)
    assert hidden.value.response_code == 404
    reporter = sandbox.gitlab("rita-token").projects.get("acme/team/app")
    assert {i.title for i in reporter.issues.list()} == {"secret", "open"}


def test_membership_is_inherited_and_listed_by_members_all(sandbox, seeded):
    project = sandbox.gitlab().projects.get("acme/team/app")
    direct = {m.username: m.access_level for m in project.members.list()}
    inherited = {m.username: m.access_level for m in project.members_all.list(get_all=True)}
    assert direct == {"gus": GUEST}
    assert inherited["dev"] == DEVELOPER and inherited["rita"] == REPORTER
    assert inherited["gus"] == GUEST
    with pytest.raises(gitlab.GitlabGetError):
        sandbox.gitlab("stranger-token").projects.get("acme/team/app")
    project.members.create(
        {"user_id": seeded["users"]["stranger"]["id"], "access_level": MAINTAINER}
    )
    assert sandbox.gitlab("stranger-token").projects.get("acme/team/app").name == "app"
    with pytest.raises(gitlab.GitlabCreateError) as twice:
        project.members.create(
            {"user_id": seeded["users"]["stranger"]["id"], "access_level": MAINTAINER}
        )
    assert twice.value.response_code == 409


def test_sudo_lets_an_administrator_act_as_someone_else(sandbox, seeded):
    response = httpx.get(
        f"{sandbox.url}/api/v4/user", headers={"PRIVATE-TOKEN": sandbox.token, "Sudo": "rita"}
    )
    assert response.json()["username"] == "rita"
    refused = httpx.get(
        f"{sandbox.url}/api/v4/user", headers={"PRIVATE-TOKEN": "dev-token", "Sudo": "rita"}
    )
    assert refused.status_code == 403


def test_controls_answer_only_the_administrator(sandbox, seeded):
    response = httpx.get(f"{sandbox.url}/-/sandbox/stats", headers={"PRIVATE-TOKEN": "dev-token"})
    assert response.status_code == 403
    assert httpx.get(f"{sandbox.url}/-/sandbox/stats").status_code == 401


def test_a_revoked_token_no_longer_authenticates(sandbox, seeded):
    own = httpx.get(
        f"{sandbox.url}/api/v4/personal_access_tokens/self", headers={"PRIVATE-TOKEN": "dev-token"}
    ).json()
    assert own["active"] is True and "token" not in own
    revoked = httpx.delete(
        f"{sandbox.url}/api/v4/personal_access_tokens/self", headers={"PRIVATE-TOKEN": "dev-token"}
    )
    assert revoked.status_code == 204
    with pytest.raises(gitlab.GitlabAuthenticationError):
        sandbox.gitlab("dev-token").auth()
