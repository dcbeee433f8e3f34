import pytest
from pydantic import ValidationError

from bot.config import DEFAULT_DATABASE_URL, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (
        "GITLAB_URL",
        "GITLAB_TOKEN",
        "PSDM_WEBHOOK_SECRET",
        "PSDM_WEBHOOK_SIGNING_SECRET",
        "PSDM_DATABASE_URL",
        "PSDM_CONFIG",
        "PSDM_CONCURRENCY",
        "PSDM_LABEL_SWEEP_MINUTES",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_environment_alone_configures_the_service(monkeypatch):
    monkeypatch.setenv("GITLAB_URL", "https://gitlab.example.com")
    monkeypatch.setenv("PSDM_WEBHOOK_SECRET", "one, two")
    settings = load_settings()
    assert settings.gitlab_url == "https://gitlab.example.com"
    assert settings.webhook_secrets == ["one", "two"]
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert [(r.playbook, r.topic) for r in settings.rules] == [("from-topic", "psdm::*")]


def test_a_yaml_file_adds_rules_and_the_environment_wins(monkeypatch, tmp_path):
    path = tmp_path / "psdm.yml"
    path.write_text(
        "gitlab_url: https://from-file\n"
        "webhook_secrets: [s]\n"
        "database_url: postgresql://db/psdm\n"
        "rules:\n"
        "  - playbook: transformation\n"
        "    namespace: customers/acme\n"
    )
    monkeypatch.setenv("PSDM_CONFIG", str(path))
    monkeypatch.setenv("GITLAB_URL", "https://from-env")
    settings = load_settings()
    assert settings.gitlab_url == "https://from-env"
    assert settings.uses_postgres
    assert settings.rules[0].namespace == "customers/acme"


def test_the_shipped_sample_config_is_valid(monkeypatch):
    monkeypatch.setenv("PSDM_CONFIG", "config.sample.yml")
    assert len(load_settings().rules) == 3


def test_unknown_keys_and_bad_values_are_reported_together(monkeypatch, tmp_path):
    path = tmp_path / "psdm.yml"
    path.write_text("gitlab_ulr: https://typo\nconcurrency: 0\n")
    monkeypatch.setenv("PSDM_CONFIG", str(path))
    with pytest.raises(ValidationError) as error:
        load_settings()
    text = str(error.value).lower()
    assert error.value.error_count() == 2
    assert "gitlab_ulr" in text and "concurrency" in text


def test_a_config_path_that_is_not_a_file_names_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PSDM_CONFIG", str(tmp_path / "missing.yml"))
    with pytest.raises(FileNotFoundError, match=r"missing\.yml"):
        load_settings()


def test_the_label_sweep_runs_every_15_minutes_unless_told_otherwise(monkeypatch):
    monkeypatch.setenv("PSDM_WEBHOOK_SECRET", "s")
    assert load_settings().label_sweep_minutes == 15
    monkeypatch.setenv("PSDM_LABEL_SWEEP_MINUTES", "0")
    assert load_settings().label_sweep_minutes == 0
    monkeypatch.setenv("PSDM_LABEL_SWEEP_MINUTES", "-5")
    with pytest.raises(ValidationError, match="PSDM_LABEL_SWEEP_MINUTES"):
        load_settings()


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({"rate_limits": "fastest"}, "rate_limits must be one of"),
        ({"custom_rate_limits": {"issue_per_minute": 5}}, "no rate limit is called"),
        ({"custom_rate_limits": {"notes_per_minute": 0}}, "whole number from 1"),
        ({"clock": "tomorrow"}, "clock"),
    ],
)
def test_rate_limits_and_the_clock_refuse_what_they_do_not_know(given, error):
    with pytest.raises(ValueError, match=error):
        Settings(webhook_secrets=["s"], **given)


def test_custom_rate_limits_and_the_stand_in_clock_are_accepted():
    settings = Settings(
        webhook_secrets=["s"],
        rate_limits="custom",
        custom_rate_limits={"issues_per_minute": 25, "notes_per_minute": None},
        clock="stand-in",
    )
    assert settings.custom_rate_limits == {"issues_per_minute": 25, "notes_per_minute": None}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("", {}), ('{"issues_per_minute": 100}', {"issues_per_minute": 100})],
)
def test_custom_rate_limits_come_from_the_environment_as_json(monkeypatch, given, expected):
    monkeypatch.setenv("PSDM_CUSTOM_RATE_LIMITS", given)
    assert Settings(webhook_secrets=["s"]).custom_rate_limits == expected
