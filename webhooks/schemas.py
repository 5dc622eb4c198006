"""The Strava push event, as documented (../shared/reference/strava.md §1.3)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

BIGINT_MAX = 2**63 - 1
# A Strava id as our tables hold it (BIGINT): anything larger is a 422, never a database error.
StravaId = Annotated[int, Field(gt=0, le=BIGINT_MAX)]


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
    updates: dict[str, str] = Field(default_factory=dict, max_length=16)

    @field_validator("updates", mode="before")
    @classmethod
    def _string_values(cls, value: object) -> object:
        # Strava sends strings ("true"/"false"); a bare JSON boolean (seen in some integrations) is kept as one.
        if value is None:
            return {}
        if isinstance(value, dict):
            # PostgreSQL cannot store a NUL character in text or JSONB; no real event carries one.
            if any("\x00" in k or (isinstance(v, str) and "\x00" in v) for k, v in value.items()):
                raise ValueError("updates must not contain NUL characters")
            return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in value.items()}
        return value


class Ack(BaseModel):
    status: Literal["accepted", "duplicate"]
