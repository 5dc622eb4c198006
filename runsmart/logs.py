"""One logging setup for the API, the workers and beat: JSON lines in production, readable lines in development,
secrets scrubbed from every field of every record (docs/operations.md, "Logs").

The redaction is a filter on the root handler, so it sees every record whatever logger made it (ours, uvicorn's
access log, Celery's), and it scrubs the message with its arguments, every `extra=` field (nested values too) and
the traceback text. Celery would replace the root handler in workers and beat; workers/celery_app.py answers its
`setup_logging` signal with `configure_logging`, which keeps this setup in every Celery process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

REDACTED = "[redacted]"

# Bearer tokens, token-ish query/form/JSON fields, Fernet ciphertexts, Standard Webhooks secrets and the tokens
# that are the whole credential of a URL (the athlete's calendar feed, a plan page link) never reach a log line.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|verify_token|api_key|password|(?<!\w)code)"
        r"[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
    ),
    re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}"),
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    # Paths whose last segment is a bearer credential: /ical/<token>.ics and /p/<token>. Any case, any number of
    # slashes, with or without the suffix: a mistyped or truncated link still carries a working token.
    re.compile(r"(?i)(/ical/+)[^/\s\"'?#]+?(\.ics(?![^/\s\"'?#])|(?![^/\s\"'?#]))"),
    re.compile(r"(?i)(/p/+)[^/\s\"'?#]+"),
    # The password of a URL's userinfo: postgresql://user:<password>@host, redis://:<password>@host.
    re.compile(r"(://[^:/\s@]*:)[^@\s/]+(@)"),
]
# An `extra=` field (or a nested dict key) with one of these names is a secret whatever its value looks like.
_SECRET_KEY = re.compile(r"(?i)token|secret|password|passwd|authorization|api_?key|cookie|credential|^code$")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# uvicorn adds a coloured copy of its message as an extra; it says nothing the message does not.
_DROPPED = {"color_message"}


def _scrub_pattern(match: re.Match[str]) -> str:
    groups = [group for group in match.groups() if group is not None]
    if len(groups) == 2:
        return groups[0] + REDACTED + groups[1]
    return (groups[0] if groups else "") + REDACTED


# Every pattern above needs one of these words; most lines (the intake's access lines) have none, and looking
# for them costs a fraction of running every pattern.
_TRIGGERS = (
    "bearer", "_token", "_secret", "api_key", "password", "code", "gaaaaa", "whsec_", "/ical/", "/p/", "@",
)  # fmt: skip


def _may_hold_a_secret(text: str) -> bool:
    lowered = text.lower()
    for trigger in _TRIGGERS:  # noqa: SIM110 - on every log line: any() over a generator costs more
        if trigger in lowered:
            return True
    return False


def scrub(text: str) -> str:
    if not _may_hold_a_secret(text):
        return text
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_scrub_pattern, text)
    return text


def redact(value: Any) -> Any:
    """A copy of `value` safe to log: strings scrubbed, secret-named keys blanked, containers walked."""
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _SECRET_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    # Anything else is logged as its text, scrubbed like any other string.
    return scrub(str(value))


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and k not in _DROPPED}


class RedactingFilter(logging.Filter):
    """Scrubs a record in place: message and arguments, every extra field, the traceback and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format: log both, scrubbed
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = scrub(str(message)), ()
        for key, value in extra_fields(record).items():
            setattr(record, key, REDACTED if _SECRET_KEY.search(key) else redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def _task_context() -> dict[str, Any]:
    """The Celery task a worker line was logged from, when there is one (Celery is imported only by workers)."""
    state = sys.modules.get("celery._state")
    task = state.get_current_task() if state is not None else None  # type: ignore[attr-defined]
    if task is None or task.request.id is None:
        return {}
    return {"task": task.name, "task_id": task.request.id}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, the task, then every extra field."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
            **_task_context(),
        }
        for key, value in extra_fields(record).items():
            line.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


class ReadableFormatter(logging.Formatter):
    """Development: the classic line, then the structured fields as key=value pairs."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {**_task_context(), **extra_fields(record)}
        return base + "".join(f" {k}={v}" for k, v in sorted(extras.items()))


def log_format(configured: str | None, env: str) -> Literal["json", "text"]:
    if configured in ("json", "text"):
        return configured  # type: ignore[return-value]
    return "json" if env == "production" else "text"


def _options() -> tuple[str, str | None, str]:
    """(level, format, env) from the settings; from the environment alone when the settings do not validate,
    so that the error saying why is itself logged in the configured shape."""
    from runsmart.settings import get_settings

    try:
        settings = get_settings()
    except ValueError:
        env = os.environ
        return (
            env.get("RUNSMART_LOG_LEVEL", "INFO"),
            env.get("RUNSMART_LOG_FORMAT"),
            env.get("RUNSMART_ENV", ""),
        )
    return settings.log_level, settings.log_format, settings.env


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Idempotent: one stream handler on the root logger, redacting, in the configured format."""
    configured_level, configured_format, env = _options()
    chosen = log_format(fmt or configured_format, env)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if chosen == "json" else ReadableFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or configured_level).upper())
    # Loggers that brought handlers of their own would print unscrubbed copies: they go through the root only.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task", "celery.redirected"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
