"""Whose fields a run shows when several sources hold it: the source priority (docs/sources.md#source-priority).

The highest-ranked whole copy gives everything measured together (start, times, distance, sport), so the run
never mixes one device's distance with another's time; what that copy lacks (heart rate, laps, a title, the
race flag) comes from the next copy in rank that has it. Pieces and covers never give fields while a whole
copy exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from store.models import ActivitySource, CopyRole

DEFAULT_PRIORITY: tuple[ActivitySource, ...] = (
    ActivitySource.STRAVA,  # what the athlete edited last (title, type, race flag) and what they see
    ActivitySource.FILE_FIT,  # the watch's own record: most fields
    ActivitySource.FILE_TCX,
    ActivitySource.FILE_GPX,
)
# Taken together from the winning copy.
MEASURED = (
    "sport_type", "is_run", "start_date", "start_date_local", "local_date", "timezone", "distance_m",
    "moving_time_s", "elapsed_time_s", "elevation_gain_m", "manual", "trainer",
)  # fmt: skip
# Each from the first copy in rank that has one.
FILLED = ("average_heartrate", "max_heartrate", "workout_type", "private", "name", "laps", "splits_metric")


class CopyLike(Protocol):
    id: int
    source: str
    role: str


def parse_priority(text: str) -> tuple[ActivitySource, ...]:
    """`strava,file_fit,...` (a setting) to the ranking; sources left out rank last in the default order."""
    named = [ActivitySource(part.strip()) for part in text.split(",") if part.strip()]
    return tuple(dict.fromkeys([*named, *DEFAULT_PRIORITY]))


def ranked(copies: Sequence[Any], priority: Sequence[ActivitySource]) -> list[Any]:
    """Whole copies first, then by source rank, then oldest copy first (a stable answer)."""
    rank = {source: index for index, source in enumerate(priority)}
    role_rank = {CopyRole.WHOLE: 0, CopyRole.PART: 1, CopyRole.COVER: 2}
    return sorted(copies, key=lambda c: (role_rank.get(c.role, 3), rank.get(c.source, len(rank)), c.id))


def merged_fields(copies: Sequence[Any], priority: Sequence[ActivitySource]) -> dict[str, Any]:
    """The run's fields from its copies (at least one)."""
    order = ranked(copies, priority)
    winner = order[0]
    peers = [c for c in order if c.role == winner.role]
    fields = {name: getattr(winner, name) for name in MEASURED}
    for name in FILLED:
        fields[name] = next((getattr(c, name) for c in peers if _has(getattr(c, name))), _empty(name))
    return fields


def _has(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _empty(name: str) -> Any:
    return {"name": "", "laps": [], "splits_metric": [], "private": False}.get(name)
