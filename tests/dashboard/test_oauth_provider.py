"""The sandbox as an OAuth 2 provider, as GitLab documents it (GL:doc/api/oauth2.md)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import SandboxServer
from tests.dashboard.conftest import register_application

REDIRECT = "http://dashboard.example/auth/callback"
VERIFIER = "ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf"


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_the_challenge_matches_gitlabs_documented_example() -> None:
    assert challenge(VERIFIER) == "2i0WFA-0AerkjQm4X4oDEhqA17QIAKNjXpagHBXmO_U"


@pytest.fixture
def app(sandbox: SandboxServer) -> dict:
    sandbox.seed({"users": [{"username": "alice"}]})
    return register_application(sandbox, REDIRECT)


def authorize(sandbox: SandboxServer, app: dict, **extra: str) -> httpx.Response:
    fields = {
        "client_id": app["application_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "s1",
        "scope": "read_api",
        "code_challenge": challenge(VERIFIER),
        "code_challenge_method": "S256",
        "login": "alice",
        "password": "alice-token",
        **extra,
    }
    return httpx.post(f"{sandbox.url}/oauth/authorize", data=fields, timeout=30)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.geturl().startswith(REDIRECT)
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def exchange(sandbox: SandboxServer, app: dict, code: str, **extra: str) -> httpx.Response:
    fields = {
        "client_id": app["application_id"],
        "client_secret": app["secret"],
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **extra,
    }
    return httpx.post(f"{sandbox.url}/oauth/token", data=fields, timeout=30)


def whoami(sandbox: SandboxServer, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{sandbox.url}/api/v4/user", headers=headers, timeout=30)


def test_applications_are_for_administrators_and_hide_their_secret(
    sandbox: SandboxServer, app: dict
) -> None:
    assert set(app) == {
        "id",
        "application_id",
        "application_name",
        "secret",
        "callback_url",
        "confidential",
    }
    listed = httpx.get(
        f"{sandbox.url}/api/v4/applications", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    ).json()
    assert [a["application_id"] for a in listed] == [app["application_id"]]
    assert "secret" not in listed[0]
    refused = httpx.get(
        f"{sandbox.url}/api/v4/applications", headers={"PRIVATE-TOKEN": "alice-token"}, timeout=30
    )
    assert refused.status_code == 403


def test_code_with_pkce_gives_a_bearer_token_the_api_accepts(
    sandbox: SandboxServer, app: dict
) -> None:
    token = exchange(sandbox, app, code_of(authorize(sandbox, app))).json()
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == 7200
    assert token["refresh_token"]
    assert whoami(sandbox, token["access_token"]).json()["username"] == "alice"


@pytest.mark.parametrize(
    "change",
    [
        {"code_verifier": "another-verifier-another-verifier-another-verifier"},
        {"code_verifier": ""},
        {"redirect_uri": "http://elsewhere.example/cb"},
        {"client_id": "nobody"},
    ],
)
def test_a_code_is_refused_with_the_wrong_verifier_redirect_or_client(
    sandbox: SandboxServer, app: dict, change: dict
) -> None:
    answer = exchange(sandbox, app, code_of(authorize(sandbox, app)), **change)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] in ("invalid_grant", "invalid_client")


def test_a_code_works_once(sandbox: SandboxServer, app: dict) -> None:
    code = code_of(authorize(sandbox, app))
    assert exchange(sandbox, app, code).status_code == 200
    again = exchange(sandbox, app, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_refresh_replaces_the_pair_and_invalidates_the_old_one(
    sandbox: SandboxServer, app: dict
) -> None:
    first = exchange(sandbox, app, code_of(authorize(sandbox, app))).json()
    auth = (app["application_id"], app["secret"])
    refreshed = httpx.post(
        f"{sandbox.url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
        timeout=30,
    )
    second = refreshed.json()
    assert second["access_token"] != first["access_token"]
    assert whoami(sandbox, second["access_token"]).status_code == 200
    assert whoami(sandbox, first["access_token"]).status_code == 401
    reused = httpx.post(
        f"{sandbox.url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
        timeout=30,
    )
    assert reused.json()["error"] == "invalid_grant"


def test_an_unknown_client_or_redirect_gets_a_page_never_a_redirect(
    sandbox: SandboxServer, app: dict
) -> None:
    for change in ({"client_id": "nobody"}, {"redirect_uri": "http://evil.example/cb"}):
        answer = authorize(sandbox, app, **change)
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "An error has occurred" in answer.text


def test_a_scope_beyond_the_application_is_sent_back_as_an_error(
    sandbox: SandboxServer, app: dict
) -> None:
    answer = authorize(sandbox, app, scope="api sudo")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["invalid_scope"]
    assert "code" not in query


def test_deleting_the_application_revokes_its_tokens(sandbox: SandboxServer, app: dict) -> None:
    token = exchange(sandbox, app, code_of(authorize(sandbox, app))).json()["access_token"]
    deleted = httpx.delete(
        f"{sandbox.url}/api/v4/applications/{app['id']}",
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=30,
    )
    assert deleted.status_code == 204
    assert whoami(sandbox, token).status_code == 401


def test_the_authorization_page_is_a_form_with_the_request_carried_along(
    sandbox: SandboxServer, app: dict
) -> None:
    query = {
        "client_id": app["application_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "s1",
        "scope": "read_api",
    }
    page = httpx.get(f"{sandbox.url}/oauth/authorize", params=query, timeout=30)
    assert page.status_code == 200
    assert "Authorize psdm-bot dashboard to use your account?" in page.text
    assert f'name="client_id" value="{app["application_id"]}"' in page.text
