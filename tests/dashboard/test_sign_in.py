"""Nothing shows before sign-in; each viewer sees what GitLab lets them read, no more."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.service.auth import Sessions
from tests.dashboard.conftest import Dashboard, hidden_fields, sign_in

SESSIONS = Sessions("dashboard-test-session")


def test_nothing_is_shown_before_sign_in(dashboard: Dashboard, two_customers) -> None:
    client = httpx.Client(base_url=dashboard.url, timeout=30)
    for path in ("/", f"/engagements/{two_customers['acme']}", "/?health=red"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/auth/sign-in?next=")
        assert "Acme" not in response.text and "Globex" not in response.text


def test_sign_in_goes_to_gitlab_with_state_and_an_s256_challenge(dashboard: Dashboard) -> None:
    response = httpx.get(f"{dashboard.url}/auth/sign-in?next=/engagements/3", timeout=30)
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == dashboard.sandbox.url
    assert target.path == "/oauth/authorize"
    query = parse_qs(target.query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0]
    assert query["scope"] == ["read_api"]
    assert query["redirect_uri"] == [f"{dashboard.url}/auth/callback"]


def test_a_viewer_sees_only_the_engagements_they_can_read(
    dashboard: Dashboard, two_customers
) -> None:
    alice = sign_in(dashboard, "alice")
    page = alice.get("/")
    assert page.status_code == 200
    assert 'data-project="acme/portal"' in page.text
    assert "globex" not in page.text.lower()
    assert alice.get(f"/engagements/{two_customers['acme']}").status_code == 200
    refused = alice.get(f"/engagements/{two_customers['globex']}")
    assert refused.status_code == 404
    assert "Globex" not in refused.text
    assert alice.get("/engagements/999999").status_code == 404


def test_an_administrator_sees_every_engagement(dashboard: Dashboard, two_customers) -> None:
    dashboard.sandbox.seed({"users": [{"username": "ada", "admin": True}]})
    page = sign_in(dashboard, "ada").get("/")
    assert 'data-project="acme/portal"' in page.text
    assert 'data-project="globex/platform"' in page.text


def test_a_wrong_password_gets_no_code(dashboard: Dashboard) -> None:
    dashboard.sandbox.seed({"users": [{"username": "alice"}, {"username": "bob"}]})
    client = httpx.Client(base_url=dashboard.url, timeout=30)
    form = client.get(client.get("/auth/sign-in").headers["location"])
    fields = {"login": "alice", "password": "bob-token", "decision": "authorize"}
    answer = client.post(
        f"{dashboard.sandbox.url}/oauth/authorize", data={**hidden_fields(form.text), **fields}
    )
    assert answer.status_code == 401
    assert "Invalid login or password." in answer.text
    assert "location" not in answer.headers


def test_a_callback_without_the_session_state_is_refused(dashboard: Dashboard) -> None:
    response = httpx.get(f"{dashboard.url}/auth/callback?code=abc&state=forged", timeout=30)
    assert response.status_code == 400
    assert "Sign-in expired" in response.text


def test_denying_access_at_gitlab_signs_nobody_in(dashboard: Dashboard) -> None:
    client = httpx.Client(base_url=dashboard.url, timeout=30)
    form = client.get(client.get("/auth/sign-in").headers["location"])
    fields = {**hidden_fields(form.text), "decision": "deny"}
    back = client.post(f"{dashboard.sandbox.url}/oauth/authorize", data=fields)
    assert "error=access_denied" in back.headers["location"]
    answer = client.get(back.headers["location"])
    assert answer.status_code == 403
    assert client.get("/").status_code == 303


def test_signing_out_revokes_the_token_at_gitlab(dashboard: Dashboard) -> None:
    dashboard.sandbox.seed({"users": [{"username": "alice"}]})
    alice = sign_in(dashboard, "alice")
    assert alice.get("/").status_code == 200
    token = record_of(dashboard, alice)["token"]
    me = httpx.get(f"{dashboard.sandbox.url}/api/v4/user", headers=bearer(token), timeout=30)
    assert me.json()["username"] == "alice"
    out = alice.post("/auth/sign-out")
    assert out.status_code == 200
    assert "signed out" in out.text
    assert alice.get("/").status_code == 303
    gone = httpx.get(f"{dashboard.sandbox.url}/api/v4/user", headers=bearer(token), timeout=30)
    assert gone.status_code == 401


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session_of(client: httpx.Client) -> dict:
    """The session the signed cookie carries (its payload is base64 JSON before the signature)."""
    payload = client.cookies["psdm_session"].split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def record_of(dashboard: Dashboard, client: httpx.Client) -> dict:
    """The server-side session of the client's cookie (tokens decrypted)."""
    found = SESSIONS.record(dashboard.service.store, session_of(client)["sid"])
    assert found is not None
    return found


def test_sign_in_without_an_oauth_application_explains_the_setup(dashboard: Dashboard) -> None:
    dashboard.service.settings.oauth_application_id = ""
    response = httpx.get(f"{dashboard.url}/", timeout=30)
    assert response.status_code == 503
    assert "PSDM_OAUTH_APPLICATION_ID" in response.text
    assert "data-project" not in response.text


def test_a_token_about_to_expire_is_refreshed_and_the_old_one_dies(dashboard: Dashboard) -> None:
    dashboard.sandbox.seed({"users": [{"username": "alice"}]})
    alice = sign_in(dashboard, "alice")
    record = record_of(dashboard, alice)
    old = record["token"]
    SESSIONS.save(dashboard.service.store, session_of(alice)["sid"], {**record, "expires_at": 0})
    assert alice.get("/").status_code == 200
    new = record_of(dashboard, alice)["token"]
    assert new != old
    sandbox = dashboard.sandbox.url
    assert httpx.get(f"{sandbox}/api/v4/user", headers=bearer(new), timeout=30).status_code == 200
    assert httpx.get(f"{sandbox}/api/v4/user", headers=bearer(old), timeout=30).status_code == 401
