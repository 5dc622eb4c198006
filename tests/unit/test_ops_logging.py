"""The one logging setup (runsmart/logs.py): every field of every record is scrubbed (message, arguments, each
`extra=` value, nested ones too, tracebacks), JSON lines keep the structured fields, and the access log of a
secret-bearing path shows the path without its token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from runsmart.logs import (
    REDACTED,
    JsonFormatter,
    ReadableFormatter,
    RedactingFilter,
    configure_logging,
    log_format,
)

SECRET = "s3cr3tValue0123456789"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose lines go through the production handler setup into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"test.ops.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.handlers[:] = []


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_extra_fields_are_redacted_by_name_and_by_content_nested_ones_too(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info(
        "sync.event.processed",
        extra={
            "event_id": 7,
            "outcome": "synced",
            "token": SECRET,  # a secret by its name
            "response": {"body": {"refresh_token": SECRET, "athlete": {"id": 1}}, "note": f"Bearer {SECRET}"},
            "urls": [f"https://x/cb?code={SECRET}&state=1", {"client_secret": SECRET}],
            "reason": f"token endpoint said access_token={SECRET}",
            "error": f"could not connect to postgresql+psycopg://runsmart:{SECRET}@db:5432/runsmart",
        },
    )
    (line,) = lines(stream)
    assert SECRET not in stream.getvalue()
    assert (line["event_id"], line["outcome"]) == (7, "synced")
    assert line["token"] == REDACTED
    assert line["response"] == {
        "body": {"refresh_token": REDACTED, "athlete": {"id": 1}},
        "note": f"Bearer {REDACTED}",
    }
    assert line["urls"] == [f"https://x/cb?code={REDACTED}&state=1", {"client_secret": REDACTED}]
    assert line["reason"] == f"token endpoint said access_token={REDACTED}"
    assert line["error"] == f"could not connect to postgresql+psycopg://runsmart:{REDACTED}@db:5432/runsmart"


def test_message_arguments_and_tracebacks_are_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.warning("refresh failed for %s with %r", f"refresh_token={SECRET}", {"access_token": SECRET})
    try:
        raise RuntimeError(f"GET /api?access_token={SECRET} failed")
    except RuntimeError:
        logger.exception("sync.failed")
    first, second = lines(stream)
    assert SECRET not in stream.getvalue()
    assert (
        first["message"]
        == f"refresh failed for refresh_token={REDACTED} with {{'access_token': '{REDACTED}'}}"
    )
    assert "RuntimeError: GET /api?access_token=[redacted] failed" in str(second["exc"])


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/ical/{SECRET}.ics", "/ical/[redacted].ics"),
        (f"/ical/{SECRET}.ics?x=1", "/ical/[redacted].ics?x=1"),
        (f"/p/{SECRET}", "/p/[redacted]"),
        (f"/p/{SECRET}/week/3", "/p/[redacted]/week/3"),
        # Near misses still carry a working token: a truncated link, another case, a doubled slash.
        (f"/ical/{SECRET}", "/ical/[redacted]"),
        (f"/ical/{SECRET}.ICS", "/ical/[redacted].ICS"),
        (f"/ical/{SECRET}.icsx", "/ical/[redacted]"),
        (f"/ICAL/{SECRET}.ics", "/ICAL/[redacted].ics"),
        (f"/ical//{SECRET}.ics", "/ical//[redacted].ics"),
        (f"/ical/{SECRET}/.ics", "/ical/[redacted]/.ics"),
        (f"/P/{SECRET}", "/P/[redacted]"),
        (
            f"/strava/callback?state=abc&code={SECRET}&scope=read",
            "/strava/callback?state=abc&code=[redacted]&scope=read",
        ),
    ],
)
def test_the_access_log_shows_secret_bearing_paths_without_their_token(
    captured: tuple[logging.Logger, io.StringIO], path: str, shown: str
) -> None:
    logger, stream = captured
    # uvicorn's access line: its format and arguments, as uvicorn.protocols.http logs them.
    logger.info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200, extra={"color_message": "x"}
    )
    (line,) = lines(stream)
    assert line["message"] == f'127.0.0.1:5000 - "GET {shown} HTTP/1.1" 200'
    assert "color_message" not in line
    assert SECRET not in stream.getvalue()


def test_ordinary_fields_that_merely_end_in_code_are_kept(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info(
        "status_code=503 outcome=%s", "rejected_403", extra={"status_code": 503, "event_type": "plan.updated"}
    )
    (line,) = lines(stream)
    assert line["message"] == "status_code=503 outcome=rejected_403"
    assert (line["status_code"], line["event_type"]) == (503, "plan.updated")


def test_the_readable_format_appends_the_fields_redacted() -> None:
    record = logging.makeLogRecord(
        {"msg": "jobs.weekly_reviews", "levelname": "INFO", "written": 3, "secret": SECRET}
    )
    RedactingFilter().filter(record)
    text = ReadableFormatter().format(record)
    assert text.endswith(f"jobs.weekly_reviews secret={REDACTED} written=3")


def test_json_in_production_text_elsewhere_unless_configured() -> None:
    assert log_format(None, "production") == "json"
    assert log_format(None, "development") == "text"
    assert log_format("json", "development") == "json"
    assert log_format("text", "production") == "text"


def test_configure_logging_puts_one_redacting_json_handler_on_the_root_and_takes_libraries_handlers_away() -> (
    None
):
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access")
    access.addHandler(logging.StreamHandler(io.StringIO()))  # as uvicorn's dictConfig would
    try:
        configure_logging(level="INFO", fmt="json")
        (handler,) = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        assert access.handlers == []
        assert access.propagate
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def test_celery_processes_keep_this_setup() -> None:
    from celery import signals

    import workers.celery_app  # noqa: F401 - connects the signal

    # A receiver on setup_logging is what stops Celery from replacing the root handler (celery/app/log.py).
    names = [getattr(receiver(), "__name__", "") for _, receiver in signals.setup_logging.receivers]
    assert "_configure_logging" in names
