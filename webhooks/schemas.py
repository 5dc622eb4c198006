"""The Strava push event, as documented (docs/strava.md, "Webhooks")."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

BIGINT_MAX = 2**63 - 1
# An athlete's id: Strava's athlete id, or negative for an athlete who never connected Strava
# (docs/sources.md#file-only-athletes). Every /api/v1/athletes/{athlete_id} path takes either.
AthleteId = Annotated[int, Field(ge=-BIGINT_MAX, le=BIGINT_MAX)]
# A run's id: Strava's, or negative for a run first seen in an activity file (docs/sources.md#canonical-ids).
ActivityId = Annotated[int, Field(ge=-BIGINT_MAX, le=BIGINT_MAX)]
# Characters PostgreSQL's text and jsonb refuse: NUL, and the UTF-16 surrogates (a JSON body can carry a lone
# one as "\ud800"; Python keeps it, PostgreSQL rejects the whole statement, so the group commit's other rows
# with it). Every other Unicode scalar value is storable.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Strava's update keys are single words ("title", "type", "private", "authorized") and the values short; the
# bounds only keep an absurd body out of the inbox (the body itself is capped by `max_event_bytes`).
MAX_UPDATE_KEY_CHARS = 64
MAX_UPDATE_VALUE_CHARS = 4096


class StravaEventIn(BaseModel):
    # Tolerant of fields Strava may add later; strict about the ones we act on: JSON integers only (no
    # `true`, `"123"` or `5.0` coerced into an id) and ones PostgreSQL's BIGINT can hold.
    model_config = ConfigDict(extra="ignore", strict=True)

    object_type: Literal["activity", "athlete"]
    object_id: int = Field(gt=0, le=BIGINT_MAX)
    aspect_type: Literal["create", "update", "delete"]
    owner_id: int = Field(gt=0, le=BIGINT_MAX)
    subscription_id: int = Field(gt=0, le=BIGINT_MAX)
    event_time: int = Field(gt=0, le=BIGINT_MAX)
    updates: dict[
        Annotated[str, Field(max_length=MAX_UPDATE_KEY_CHARS)],
        Annotated[str, Field(max_length=MAX_UPDATE_VALUE_CHARS)],
    ] = Field(default_factory=dict, max_length=16)

    @field_validator("updates", mode="before")
    @classmethod
    def _string_values(cls, value: object) -> object:
        # Strava sends strings ("true"/"false"); a bare JSON boolean (seen in some integrations) is kept as one.
        if value is None:
            return {}
        if isinstance(value, dict):
            if any(_unstorable(k) or (isinstance(v, str) and _unstorable(v)) for k, v in value.items()):
                raise ValueError("updates must not contain NUL characters or lone UTF-16 surrogates")
            return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in value.items()}
        return value


def _unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


class Ack(BaseModel):
    status: Literal["accepted", "duplicate"]
