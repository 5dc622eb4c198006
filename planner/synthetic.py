"""Synthetic completed runs for a planned workout, in Strava's DetailedActivity JSON shape.

Used to write the example scenarios (examples/scenarios/), by the benchmark, the scorecard and by tests. A
structured session gets device laps (warm-up, each rep, each recovery jog, cool-down); a steady run gets per-km
splits. Field names and meanings follow Strava's DetailedActivity (docs/matching.md; start_date_local carries a
fake "Z").

``simulate`` is the one athlete simulation: an athlete who follows the plan as it adapts every Monday, with a
``behaviour`` that varies what they run (the scorecard's deviation patterns, the tests' scenarios).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from planner.activity import Activity, Lap
from planner.adapt import adapt
from planner.paces import training_paces
from planner.plan import Plan, Workout, WorkoutType

TIMEZONE = "(GMT+01:00) Europe/Amsterdam"
UTC_OFFSET = timedelta(hours=1)


def _lap(distance_m: float, pace_s_per_km: float, hr: float | None) -> dict[str, Any]:
    t = round(distance_m / 1000 * pace_s_per_km)
    lap: dict[str, Any] = {"distance": round(distance_m, 1), "moving_time": t, "elapsed_time": t}
    if hr is not None:
        lap["average_heartrate"] = hr
    return lap


def laps_for(
    w: Workout, easy_pace: float, work_pace: float | None = None, easy_hr: float | None = None
) -> list[dict[str, Any]]:
    """Device laps for doing ``w`` (work at ``work_pace``, default the middle of the planned range)."""
    if not w.reps:
        pace = work_pace if work_pace is not None else (w.pace[0] + w.pace[1]) / 2
        return [_lap(w.distance_m, pace, easy_hr)]
    laps = [_lap(w.warmup_m, easy_pace, easy_hr)]
    for r in w.reps:
        pace = work_pace if work_pace is not None else (r.pace[0] + r.pace[1]) / 2
        for i in range(r.count):
            laps.append(_lap(r.distance_m, pace, None))
            if i < r.count - 1 and r.recovery_s > 0:
                jog = r.recovery_s / (easy_pace * 1.1) * 1000
                laps.append(_lap(jog, easy_pace * 1.1, None))
    laps.append(_lap(w.cooldown_m, easy_pace, easy_hr))
    return laps


def splits_for(distance_m: float, pace: float, hr: float | None) -> list[dict[str, Any]]:
    out = []
    left = distance_m
    while left > 0.5:
        d = min(1000.0, left)
        out.append(_lap(d, pace, hr))
        left -= d
    return out


def strava_run(
    activity_id: int,
    athlete_id: int,
    w: Workout,
    easy_pace: float,
    *,
    start: time = time(7, 30),
    day_offset: int = 0,
    work_pace: float | None = None,
    distance_factor: float = 1.0,
    sport_type: str = "Run",
    easy_hr: float | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A DetailedActivity dict for running ``w`` (optionally scaled, moved or retyped)."""
    src = w
    if distance_factor != 1.0:
        src = replace(w, distance_m=w.distance_m * distance_factor, reps=(), warmup_m=0, cooldown_m=0)
        work_pace = work_pace if work_pace is not None else easy_pace
    laps = laps_for(src, easy_pace, work_pace, easy_hr)
    distance = sum(lap["distance"] for lap in laps)
    moving = sum(lap["moving_time"] for lap in laps)
    local = datetime.combine(w.date + timedelta(days=day_offset), start)
    steady = len(laps) == 1
    pace = moving / (distance / 1000) if distance else easy_pace
    kind = (
        "Ride"
        if sport_type == "Ride"
        else ("Run" if sport_type in ("Run", "TrailRun", "VirtualRun") else sport_type)
    )
    return {
        "id": activity_id,
        "resource_state": 3,
        "athlete": {"id": athlete_id, "resource_state": 1},
        "name": name or f"{w.type.value.replace('_', ' ').title()} run",
        "sport_type": sport_type,
        "type": kind,
        "start_date": (local - UTC_OFFSET).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start_date_local": local.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": TIMEZONE,
        "distance": round(distance, 1),
        "moving_time": moving,
        "elapsed_time": moving + 40,
        "total_elevation_gain": 12.0,
        "average_heartrate": easy_hr,
        "workout_type": 1 if w.type is WorkoutType.RACE else (3 if w.reps else None),
        "manual": False,
        "trainer": sport_type == "VirtualRun",
        "laps": laps if not steady else [dict(laps[0])],
        "splits_metric": splits_for(distance, pace, easy_hr) if steady else [],
    }


def activity_from_strava(raw: dict[str, Any]) -> Activity:
    """A fast, minimal reading of the dicts made here (the real mapping is sync.normalize)."""

    def lap(d: dict[str, Any]) -> Lap:
        return Lap(d["distance"], d["moving_time"], d["elapsed_time"], d.get("average_heartrate"))

    return Activity(
        id=raw["id"],
        athlete_id=raw["athlete"]["id"],
        sport_type=raw["sport_type"],
        start_local=datetime.fromisoformat(raw["start_date_local"].rstrip("Z")),
        distance_m=raw["distance"],
        moving_time_s=raw["moving_time"],
        elapsed_time_s=raw["elapsed_time"],
        name=raw["name"],
        timezone="Europe/Amsterdam",
        average_heartrate=raw.get("average_heartrate"),
        workout_type=raw.get("workout_type"),
        manual=raw.get("manual", False),
        trainer=raw.get("trainer", False),
        laps=tuple(lap(x) for x in raw.get("laps", ())),
        splits_metric=tuple(lap(x) for x in raw.get("splits_metric", ())),
    )


# behaviour(workout, week index, plan) -> one dict of strava_run keyword arguments per run done for it ([] = skipped)
Behaviour = Callable[[Workout, int, Plan], list[dict[str, Any]]]
# extra(week index, plan) -> runs done on top of the plan: (a workout to shape the run, strava_run kwargs)
Extra = Callable[[int, Plan], list[tuple[Workout, dict[str, Any]]]]


def as_planned(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    return [{}]


@dataclass(frozen=True, slots=True)
class SimWeek:
    """One plan week as the athlete met it: the plan adapted on its Monday, and what they ran."""

    index: int
    start: date
    plan: Plan  # the plan as adapted on this week's Monday (what the athlete was shown for the week)
    planned_km: float  # this week's planned km in that plan
    done_km: float


@dataclass
class Simulation:
    plan: Plan  # adapted on ``until``
    raws: list[dict[str, Any]] = field(default_factory=list)  # Strava DetailedActivity dicts
    activities: list[Activity] = field(default_factory=list)
    weeks: list[SimWeek] = field(default_factory=list)


def simulate(
    plan: Plan,
    until: date,
    behaviour: Behaviour = as_planned,
    extra: Extra | None = None,
    *,
    athlete_id: int = 1,
    first_id: int = 1,
    also: Iterable[Activity] = (),
) -> Simulation:
    """An athlete who runs what the plan says (as ``behaviour`` varies it), adapting every Monday, until
    ``until`` (exclusive). ``also``: ready-made activities, added in the week they fall in."""
    later = sorted(also, key=lambda a: a.start_local)
    sim = Simulation(plan)
    next_id = first_id
    for week in plan.weeks:
        if week.start >= until:
            break
        plan = adapt(plan, sim.activities, week.start).plan
        current = next(x for x in plan.weeks if x.start == week.start)
        easy_pace = sum(training_paces(plan.vdot).easy) / 2
        todo: list[tuple[Workout, dict[str, Any]]] = [
            (w, kw)
            for w in current.workouts
            if w.is_run and w.date < until
            for kw in behaviour(w, week.index, plan)
        ]
        if extra is not None:
            todo.extend((w, kw) for w, kw in extra(week.index, plan) if w.date < until)
        done_m = 0.0
        for w, kw in todo:
            raw = strava_run(next_id, athlete_id, w, easy_pace, **kw)
            next_id += 1
            a = activity_from_strava(raw)
            sim.raws.append(raw)
            sim.activities.append(a)
            done_m += a.distance_m if a.is_run else 0.0
        for a in later:
            if week.start <= a.local_date <= week.end and a.local_date < until:
                sim.activities.append(a)
                done_m += a.distance_m if a.is_run else 0.0
        sim.weeks.append(SimWeek(week.index, week.start, plan, current.planned_km, done_m / 1000))
    sim.plan = adapt(plan, sim.activities, until).plan
    return sim
