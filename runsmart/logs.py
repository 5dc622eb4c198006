"""Structured-enough logging with secrets scrubbed from every line."""

from __future__ import annotations

import logging
import re

from runsmart.settings import get_settings

# Bearer tokens, token-ish query/form fields and Fernet ciphertexts never reach a log line.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code|verify_token)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
    ),
    re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}"),
]


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for pattern in _SECRET_PATTERNS:
            message = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", message)
        record.msg, record.args = message, ()
        return True


class ExtraFormatter(logging.Formatter):
    """Appends structured `extra=` fields (ids, outcomes) as key=value pairs."""

    _standard = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in self._standard}
        return base + ("".join(f" {k}={v}" for k, v in sorted(extras.items())) if extras else "")


def configure_logging(level: str | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(ExtraFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or get_settings().log_level)
