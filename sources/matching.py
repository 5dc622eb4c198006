"""Are two copies the same run? The rule and its tolerances (docs/sources.md#one-run-one-activity).

One athlete cannot do two activities at once, so time decides first: two copies whose spans barely overlap are
two runs whatever their distances (a double run on one day, a warm-up saved apart). Where the spans do overlap,
start, duration and distance must agree within what clocks and GPS make of one run; a copy lying inside
another's span is a piece of that run (a run saved in two files).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from planner.activity import RUN_SPORT_TYPES

# Two devices' clocks, or a watch and a phone started a little apart: starts this close can be one run.
START_TOLERANCE_S = 300
# Durations: a device stopped a little later, auto-pause differences; whichever is larger.
DURATION_TOLERANCE_S = 300
DURATION_TOLERANCE_SHARE = 0.15
# GPS distances of one run differ by a few percent between devices, more under trees and between buildings.
DISTANCE_TOLERANCE_M = 500.0
DISTANCE_TOLERANCE_SHARE = 0.10
# Started and stopped within a minute of each other: one recording seen twice, whatever the distances say
# (a GPS dropout on one device, a treadmill distance corrected by hand).
SAME_RECORDING_S = 60
# The shared time must be at least this share of the longer span: consecutive activities never merge.
MIN_OVERLAP_SHARE = 0.5


class Relation(StrEnum):
    SAME_RUN = "same_run"
    PART_OF = "part_of"  # the first copy is a piece of the second's run
    CONTAINS = "contains"  # the second copy is a piece of the first's run
    DISTINCT = "distinct"


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime  # aware UTC
    elapsed_s: int
    distance_m: float
    sport_type: str
    indoor: bool = False  # a treadmill: its distance is the device's estimate (or typed in by hand)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=max(self.elapsed_s, 0))

    @property
    def running(self) -> bool:
        return self.sport_type in RUN_SPORT_TYPES


def relation(a: Span, b: Span) -> Relation:
    """How copy `a` relates to copy `b`."""
    if _same_run(a, b):
        return Relation.SAME_RUN
    if _piece_of(a, b):
        return Relation.PART_OF
    if _piece_of(b, a):
        return Relation.CONTAINS
    return Relation.DISTINCT


def _overlap_s(a: Span, b: Span) -> float:
    return max(0.0, (min(a.end, b.end) - max(a.start, b.start)).total_seconds())


def _same_run(a: Span, b: Span) -> bool:
    longer = max(a.elapsed_s, b.elapsed_s, 1)
    if _overlap_s(a, b) < MIN_OVERLAP_SHARE * longer:
        return False
    start_gap = abs((a.start - b.start).total_seconds())
    duration_gap = abs(a.elapsed_s - b.elapsed_s)
    if start_gap > START_TOLERANCE_S:
        return False
    if duration_gap > _duration_tolerance(longer):
        return False
    if start_gap <= SAME_RECORDING_S and duration_gap <= SAME_RECORDING_S:
        return True
    return _distances_agree(a, b)


def _duration_tolerance(longer_s: int) -> float:
    return max(DURATION_TOLERANCE_S, DURATION_TOLERANCE_SHARE * longer_s)


def _distances_agree(a: Span, b: Span) -> bool:
    # Indoors, or without a distance at all, the distance says nothing about which run it was.
    if a.indoor or b.indoor or a.distance_m <= 0 or b.distance_m <= 0:
        return True
    longer = max(a.distance_m, b.distance_m)
    return abs(a.distance_m - b.distance_m) <= max(DISTANCE_TOLERANCE_M, DISTANCE_TOLERANCE_SHARE * longer)


def _piece_of(part: Span, whole: Span) -> bool:
    """`part` lies inside `whole`'s span (clock tolerance at both ends), is shorter by more than two
    recordings of one run differ, and covers no more distance. Pieces only of a run: a long walk left
    recording must never swallow the run inside it."""
    shorter_by = whole.elapsed_s - part.elapsed_s
    if not (part.running and whole.running) or shorter_by <= _duration_tolerance(whole.elapsed_s):
        return False
    slack = timedelta(seconds=START_TOLERANCE_S)
    if part.start < whole.start - slack or part.end > whole.end + slack:
        return False
    if _overlap_s(part, whole) < MIN_OVERLAP_SHARE * max(part.elapsed_s, 1):
        return False
    limit = whole.distance_m + max(DISTANCE_TOLERANCE_M, DISTANCE_TOLERANCE_SHARE * whole.distance_m)
    return part.indoor or whole.indoor or whole.distance_m <= 0 or part.distance_m <= limit
