"""The Strava push event, as documented (../shared/reference/strava.md §1.3)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StravaEventIn(BaseModel):
    # Tolerant of fields Strava may add later; strict about the ones we act on.
    model_config = ConfigDict(extra="ignore")

    object_type: Literal["activity", "athlete"]
    object_id: int = Field(gt=0)
    aspect_type: Literal["create", "update", "delete"]
    owner_id: int = Field(gt=0)
    subscription_id: int = Field(gt=0)
    event_time: int = Field(gt=0)
    updates: dict[str, str] = Field(default_factory=dict, max_length=16)

    @field_validator("updates", mode="before")
    @classmethod
    def _string_values(cls, value: object) -> object:
        # Strava sends strings ("true"/"false"); a bare JSON boolean (seen in some integrations) is kept as one.
        if value is None:
            return {}
        if isinstance(value, dict):
            return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in value.items()}
        return value


class Ack(BaseModel):
    status: Literal["accepted", "duplicate"]
