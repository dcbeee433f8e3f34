"""One log format: structlog's and the standard library's loggers (uvicorn, httpx, DBOS) end
as the same JSON lines; a warning about an expected failure carries no traceback."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from bot.service.logs import configure_logging


@pytest.fixture
def lines():
    stream = io.StringIO()
    configure_logging("info", json_lines=True, stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    logging.getLogger().handlers = []
    structlog.reset_defaults()


def test_every_logger_writes_the_same_json_lines(lines) -> None:
    structlog.get_logger("psdm.service").info("recorded", delivery="d-1")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("dbos").warning("step retried")
    logging.getLogger("httpx").warning("HTTP Request: GET http://gitlab 503")
    logging.getLogger("httpx").info("HTTP Request: GET http://gitlab 200")  # quiet below warning
    records = lines()
    assert [r["event"] for r in records] == [
        "recorded",
        "Started server process [42]",
        "step retried",
        "HTTP Request: GET http://gitlab 503",
    ]
    assert {r["logger"] for r in records} == {"psdm.service", "uvicorn.error", "dbos", "httpx"}
    assert all({"level", "timestamp"} <= set(r) for r in records)
    assert records[0]["delivery"] == "d-1"
    assert "color_message" not in json.dumps(records)


def test_a_warning_keeps_the_error_and_drops_the_traceback_an_error_keeps_it(lines) -> None:
    log = structlog.get_logger("psdm.service")
    try:
        raise ConnectionError("GitLab unreachable")
    except ConnectionError:
        log.warning("readiness check failed", exc_info=True)
        logging.getLogger("dbos").error("workflow failed", exc_info=True)
    warning, error = lines()
    assert warning["error"] == "ConnectionError: GitLab unreachable"
    assert "exception" not in warning
    assert "Traceback" in error["exception"]


def test_an_expected_gitlab_failure_has_no_traceback_even_as_an_error(lines) -> None:
    from bot.gitlab.errors import Unreachable

    try:
        raise Unreachable("cannot reach GitLab at https://gitlab.example.com")
    except Unreachable:
        logging.getLogger("dbos").error("step failed", exc_info=True)
    (record,) = lines()
    assert record["error"] == "Unreachable: cannot reach GitLab at https://gitlab.example.com"
    assert "exception" not in record
