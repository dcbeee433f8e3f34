"""DORA figures come from GitLab's API when it answers, and are never made up when it does not."""

from __future__ import annotations

from datetime import date

import gitlab
from fastapi import FastAPI, Response

from bot.gitlab.engagement import _dora
from bot.service.threaded import run_in_thread


def ultimate_like() -> FastAPI:
    """Answers the DORA API as GitLab Ultimate does with `interval=all`; 404 for project 2."""
    app = FastAPI()
    values = {
        "deployment_frequency": [{"date": None, "value": 1.5}],
        "lead_time_for_changes": [{"date": None, "value": 3600}],
        "time_to_restore_service": [{"date": None, "value": None}],
        "change_failure_rate": 0.1,
    }

    @app.get("/api/v4/projects/{pid}/dora/metrics")
    def metrics(pid: int, metric: str, interval: str, start_date: str) -> object:
        if pid == 2 or interval != "all":
            return Response('{"message": "404 Not Found"}', status_code=404)
        return values[metric]

    return app


def test_dora_metrics_are_read_when_the_api_answers() -> None:
    running = run_in_thread(ultimate_like())
    try:
        found, note = _dora(gitlab.Gitlab(running.url, private_token="t"), 1, date(2026, 12, 7))
        missing, why = _dora(gitlab.Gitlab(running.url, private_token="t"), 2, date(2026, 12, 7))
    finally:
        running.stop()
    assert found is not None
    assert [(m.name, m.value) for m in found] == [
        ("deployment_frequency", 1.5),
        ("lead_time_for_changes", 3600.0),
        ("time_to_restore_service", None),
        ("change_failure_rate", 0.1),
    ]
    assert "last 90 days" in note
    assert missing is None
    assert "GitLab answered 404" in why
