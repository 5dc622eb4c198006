"""Errors a plan command can end in; each carries the HTTP status the internal API answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PlanError(Exception):
    status = 400

    def __init__(self, detail: str, *, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # Members the problem answer carries next to `detail` (RFC 9457 extensions, webhooks/errors.py).
        self.extensions = dict(extensions or {})


class NotFound(PlanError):
    status = 404


class Conflict(PlanError):
    """The request is valid but contradicts the plan's state (a past workout, an undone change, ...)."""

    status = 409


class Invalid(PlanError):
    """The request itself is wrong (an unsafe goal, a date outside the plan, ...)."""

    status = 422
