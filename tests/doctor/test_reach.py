"""The first checks as a person meets them: a GitLab behind a self-signed certificate, a URL
that answers a sign-in page, and `/readyz` saying why it is not ready."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import gitlab
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.gitlab.preflight import first_problem
from bot.service.app import Service
from bot.service.threaded import RunningServer, run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox import create_app as create_sandbox

SIGN_IN = "<!DOCTYPE html><html><body><form action='/users/sign_in'>Sign in</form></body></html>"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, as an internal GitLab may have."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gitlab.internal")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "gitlab.pem", folder / "gitlab.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def tls_gitlab(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The stand-in served over HTTPS with a self-signed certificate."""
    cert_file, key_file = self_signed(tmp_path_factory.mktemp("tls"))
    server = run_in_thread(
        create_sandbox(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN),
        ssl_certfile=str(cert_file),
        ssl_keyfile=str(key_file),
    )
    yield f"https://127.0.0.1:{server.port}", cert_file
    server.stop()


@pytest.fixture(scope="module")
def sign_in_page() -> Iterator[RunningServer]:
    """A web server that answers every path with an HTML sign-in page (a proxy, an SSO gate)."""
    page = FastAPI()

    @page.get("/{path:path}", response_class=HTMLResponse)
    def anything(path: str) -> str:
        return SIGN_IN

    server = run_in_thread(page)
    yield server
    server.stop()


@pytest.fixture
def clean_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA variables as they were before the test (the CA setting writes them)."""
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def doctor(url: str, **env: str):
    base = {
        "GITLAB_URL": url,
        "GITLAB_TOKEN": DEFAULT_ADMIN_TOKEN,
        "PSDM_WEBHOOK_SECRET": "s",
        "PSDM_CONFIG": "",
        "PSDM_CA_BUNDLE": "",
    }
    return CliRunner().invoke(
        app, ["doctor", "--skip", "dashboard", "--skip", "database"], env={**base, **env}
    )


def test_a_self_signed_certificate_is_named_with_the_setting_that_fixes_it(
    tls_gitlab, clean_trust
) -> None:
    url, _ = tls_gitlab
    result = doctor(url)
    assert result.exit_code == 1
    (tls,) = [line for line in result.stdout.splitlines() if " tls:" in line]
    assert tls.startswith("FAIL tls: TLS to https://127.0.0.1:")
    assert "self-signed certificate" in tls or "self signed certificate" in tls
    assert "-> set PSDM_CA_BUNDLE to a PEM file" in tls
    assert "Traceback" not in result.output


def test_with_the_ca_setting_rest_and_graphql_both_trust_the_gitlab(
    tls_gitlab, clean_trust
) -> None:
    url, cert_file = tls_gitlab
    result = doctor(url, PSDM_CA_BUNDLE=str(cert_file))
    lines = result.stdout.splitlines()
    assert any(line.startswith("ok   tls: the certificate of 127.0.0.1:") for line in lines), lines
    assert any(line.startswith("ok   token: user root") for line in lines), lines
    assert any(line.startswith("ok   instance: GitLab") for line in lines), lines


def test_plan_names_the_certificate_problem_instead_of_an_unreachable_gitlab(
    tls_gitlab, clean_trust
) -> None:
    url, _ = tls_gitlab
    result = CliRunner().invoke(
        app,
        ["plan", "tool-adoption", "--project", "acme/delivery"],
        env={"GITLAB_URL": url, "GITLAB_TOKEN": DEFAULT_ADMIN_TOKEN, "PSDM_CA_BUNDLE": ""},
    )
    assert result.exit_code == 1
    assert "certificate" in result.stderr and "PSDM_CA_BUNDLE" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_with_the_ca_setting_plan_reads_the_project_over_tls(tls_gitlab, clean_trust) -> None:
    url, cert_file = tls_gitlab
    gl = gitlab.Gitlab(url, private_token=DEFAULT_ADMIN_TOKEN, ssl_verify=str(cert_file))
    group = gl.groups.create({"name": "tls", "path": "tls"})
    gl.projects.create({"name": "app", "path": "app", "namespace_id": group.id})
    result = CliRunner().invoke(
        app,
        ["plan", "tool-adoption", "--project", "tls/app", "--var", "customer=Acme"],
        env={
            "GITLAB_URL": url,
            "GITLAB_TOKEN": DEFAULT_ADMIN_TOKEN,
            "PSDM_CA_BUNDLE": str(cert_file),
        },
    )
    assert result.exit_code == 0, result.output
    assert "to create" in result.stdout


def test_an_html_sign_in_page_is_told_apart_from_gitlabs_api(sign_in_page) -> None:
    result = doctor(sign_in_page.url)
    assert result.exit_code == 1
    assert "answered 200 with a web page, not GitLab's REST API" in result.stdout
    plan = CliRunner().invoke(
        app,
        ["plan", "tool-adoption", "--project", "acme/delivery"],
        env={"GITLAB_URL": sign_in_page.url, "GITLAB_TOKEN": "t"},
    )
    assert plan.exit_code == 1
    assert plan.stderr.startswith("error: ")
    assert "web page, not GitLab's REST API" in plan.stderr
    assert "KeyError" not in plan.output and "Traceback" not in plan.output


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("gitlab.example.com", "GITLAB_URL must start with https:// or http://"),
        ("https://gitlab.example.com/?x=1", "without ?query"),
    ],
)
def test_a_url_without_a_scheme_is_one_line_not_a_requests_error(url, words) -> None:
    result = CliRunner().invoke(
        app,
        ["plan", "tool-adoption", "--project", "acme/delivery"],
        env={"GITLAB_URL": url, "GITLAB_TOKEN": "t"},
    )
    assert result.exit_code == 1
    assert words in result.stderr
    assert "No connection adapters" not in result.output


def test_a_url_ending_in_api_v4_reaches_the_same_project(sandbox) -> None:
    sandbox.seed({"groups": [{"path": "acme"}], "projects": [{"path": "app", "namespace": "acme"}]})
    result = CliRunner().invoke(
        app,
        ["plan", "tool-adoption", "--project", "acme/app", "--var", "customer=Acme"],
        env={"GITLAB_URL": f"{sandbox.url}/api/v4/", "GITLAB_TOKEN": sandbox.token},
    )
    assert result.exit_code == 0, result.output
    assert "to create" in result.stdout


def test_readyz_gives_the_reason_with_the_fix(sign_in_page, tmp_path) -> None:
    settings = Settings(webhook_secrets=["s"], gitlab_url=sign_in_page.url, gitlab_token="t")

    class BrokenStore:
        def ping(self) -> None:
            raise OSError("disk full")

    service = Service(settings, router=None, runners=None)  # type: ignore[arg-type]
    service.store = BrokenStore()  # type: ignore[assignment]
    import asyncio

    asyncio.run(service.check_readiness())
    assert not service.readiness.ready
    reason = service.readiness.reason or ""
    assert reason.startswith("database: OSError: disk full; gitlab: ")
    assert "web page, not GitLab's REST API" in reason
    assert "check GITLAB_URL" in reason


def test_first_problem_is_none_for_a_working_gitlab(sandbox) -> None:
    assert first_problem(sandbox.url, sandbox.token) is None
    assert "401" in (first_problem(sandbox.url, "wrong") or "")
