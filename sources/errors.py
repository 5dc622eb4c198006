"""Why a file was refused: one plain line for the person who sent it, and a stable code (docs/sources.md#refusals)."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"  # larger than the limit, or unpacks to more
    UNSUPPORTED = "unsupported_format"
    CORRUPT = "corrupt"
    TRUNCATED = "truncated"
    HOSTILE = "hostile"  # an XML document type declaration (entity bombs, external entities), a packing trick
    IMPLAUSIBLE = "implausible"  # NaN, a negative or absurd time, distance or speed
    NO_ACTIVITY = "no_activity"  # valid, but no recorded activity in it (a course, a route, no times)


class FileRefused(ValueError):
    """The file is refused before anything is stored."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
