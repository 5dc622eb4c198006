"""Whose fields a run shows (docs/sources.md#source-priority)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sources.merge import DEFAULT_PRIORITY, merged_fields, parse_priority
from store.models import ActivitySource, CopyRole


@dataclass
class Copy:
    id: int
    source: str
    role: str = CopyRole.WHOLE
    name: str = ""
    sport_type: str = "Run"
    is_run: bool = True
    start_date: datetime = datetime(2026, 7, 21, 7, tzinfo=UTC)
    start_date_local: datetime = datetime(2026, 7, 21, 9)
    local_date: date = date(2026, 7, 21)
    timezone: str | None = None
    distance_m: float = 10_000.0
    moving_time_s: int = 3000
    elapsed_time_s: int = 3050
    elevation_gain_m: float = 0.0
    manual: bool = False
    trainer: bool = False
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    workout_type: int | None = None
    private: bool | None = None
    laps: list[Any] = field(default_factory=list)
    splits_metric: list[Any] = field(default_factory=list)


def test_the_top_ranked_whole_copy_gives_the_measured_fields_together() -> None:
    strava = Copy(
        1, ActivitySource.STRAVA, name="Tempo", distance_m=10_000, moving_time_s=3000, private=False
    )
    fit = Copy(2, ActivitySource.FILE_FIT, distance_m=10_150, moving_time_s=2990, average_heartrate=158.0)
    merged = merged_fields([fit, strava], DEFAULT_PRIORITY)
    assert (merged["distance_m"], merged["moving_time_s"], merged["name"]) == (10_000, 3000, "Tempo")
    # What the winner lacks comes from the next copy that has it.
    assert merged["average_heartrate"] == 158.0
    ranked_fit_first = parse_priority("file_fit")
    merged = merged_fields([fit, strava], ranked_fit_first)
    assert (merged["distance_m"], merged["moving_time_s"]) == (10_150, 2990)
    assert merged["name"] == "Tempo"


def test_pieces_and_covers_never_give_fields_while_a_whole_copy_exists() -> None:
    whole = Copy(5, ActivitySource.FILE_GPX, distance_m=12_000)
    piece = Copy(1, ActivitySource.STRAVA, role=CopyRole.PART, distance_m=6_000, average_heartrate=150.0)
    merged = merged_fields([piece, whole], DEFAULT_PRIORITY)
    assert merged["distance_m"] == 12_000
    assert merged["average_heartrate"] is None


def test_a_missing_name_or_laps_is_empty_not_none() -> None:
    merged = merged_fields([Copy(3, ActivitySource.FILE_FIT)], DEFAULT_PRIORITY)
    assert (merged["name"], merged["laps"], merged["private"]) == ("", [], False)


def test_the_priority_setting_names_the_first_sources_and_keeps_the_rest_in_default_order() -> None:
    assert parse_priority("file_gpx, strava") == (
        ActivitySource.FILE_GPX,
        ActivitySource.STRAVA,
        ActivitySource.FILE_FIT,
        ActivitySource.FILE_TCX,
    )
    with pytest.raises(ValueError, match="nope"):
        parse_priority("nope")


def test_the_settings_know_exactly_the_sources_the_store_knows() -> None:
    from runsmart.settings import SOURCES

    assert set(SOURCES) == {source.value for source in ActivitySource}
