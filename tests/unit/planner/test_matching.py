"""Matching completed runs to planned workouts (docs/matching.md) and compliance colours
(docs/science.md#compliance-colours)."""

from __future__ import annotations

import itertools
import random
from datetime import date, time, timedelta

import pytest

from planner import Workout, WorkoutType, colour, match, workout_compliance
from planner.plan import workout_id

from .helpers import run

MON = date(2026, 3, 2)


def wk(day_offset: int, km: float, kind: WorkoutType = WorkoutType.EASY) -> Workout:
    d = MON + timedelta(days=day_offset)
    return Workout(workout_id(d), d, kind, km * 1000, km * 330, (300.0, 340.0))


WEEK = [wk(0, 8), wk(1, 10, WorkoutType.THRESHOLD), wk(3, 8), wk(4, 6), wk(6, 16, WorkoutType.LONG)]


def test_same_day_run_matches() -> None:
    r = match(WEEK, [run(1, MON, 8)])
    assert r.for_workout(WEEK[0].id) == (1,)
    assert r.extra == ()


def test_doubles_on_one_day_together_fulfil_one_workout() -> None:
    acts = [run(1, MON, 4, at=time(7)), run(2, MON, 4, at=time(18))]
    r = match(WEEK, acts)
    assert r.for_workout(WEEK[0].id) == (1, 2)
    wc = workout_compliance(WEEK[0], acts, MON + timedelta(days=7), (1, 2))
    assert wc.colour == "green"
    assert wc.completed_m == 8000


def test_workout_done_a_day_late_on_a_rest_day_matches() -> None:
    # Tuesday's tempo run on Wednesday (no workout planned that day)
    r = match(WEEK, [run(1, MON + timedelta(days=2), 10)])
    assert r.for_workout(WEEK[1].id) == (1,)


def test_two_days_away_matches_but_three_does_not() -> None:
    ws = [wk(0, 8)]
    assert match(ws, [run(1, MON + timedelta(days=2), 8)]).for_workout(ws[0].id) == (1,)
    r = match(ws, [run(1, MON + timedelta(days=3), 8)])
    assert r.matches == ()
    assert r.extra == (1,)


def test_same_date_beats_a_nearby_day() -> None:
    # a run on Thursday belongs to Thursday's workout even though Wednesday's is open nearby
    ws = [wk(2, 8), wk(3, 8)]
    r = match(ws, [run(1, MON + timedelta(days=3), 8)])
    assert r.for_workout(ws[1].id) == (1,)
    assert r.for_workout(ws[0].id) == ()


def test_nearby_prefers_closest_day_then_closest_distance() -> None:
    ws = [wk(0, 5), wk(4, 20)]
    # Wednesday run, 2 days from Monday, 2 days from Friday: the distance decides
    r = match(ws, [run(1, MON + timedelta(days=2), 19)])
    assert r.for_workout(ws[1].id) == (1,)
    # Tuesday run: 1 day from Monday beats 3 days from Friday
    r = match(ws, [run(2, MON + timedelta(days=1), 19)])
    assert r.for_workout(ws[0].id) == (2,)


@pytest.mark.parametrize("sport", ["Run", "TrailRun", "VirtualRun"])
def test_treadmill_trail_and_virtual_runs_count(sport: str) -> None:
    r = match(WEEK, [run(1, MON, 8, sport=sport)])
    assert r.for_workout(WEEK[0].id) == (1,)


@pytest.mark.parametrize("sport", ["Ride", "Swim", "Walk", "Workout", "WeightTraining"])
def test_other_sports_do_not_count(sport: str) -> None:
    r = match(WEEK, [run(1, MON, 8, sport=sport)])
    assert r.matches == ()
    assert r.ignored == (1,)
    assert r.extra == ()


def test_race_matches_the_planned_race_even_a_day_off() -> None:
    race_day = MON + timedelta(days=6)
    ws = [wk(5, 5), Workout(workout_id(race_day), race_day, WorkoutType.RACE, 21097.5, 6000, (284.0, 284.0))]
    r = match(ws, [run(9, MON + timedelta(days=5), 21.1, workout_type=1)])
    assert r.for_workout(ws[1].id) == (9,)
    assert r.for_workout(ws[0].id) == ()


def test_unplanned_runs_are_extra() -> None:
    acts = [run(1, MON, 8), run(2, MON + timedelta(days=1), 10), run(3, MON + timedelta(days=2), 5)]
    r = match(WEEK[:2], acts)
    assert r.extra == (3,)  # Wednesday run: both nearby workouts are already done


def test_duplicate_activity_ids_are_counted_once() -> None:
    r = match(WEEK, [run(1, MON, 8), run(1, MON, 8)])
    assert r.for_workout(WEEK[0].id) == (1,)


def _messy_week() -> list:  # type: ignore[type-arg]
    return [
        run(1, MON, 4, at=time(6)),
        run(2, MON, 4, at=time(19)),
        run(3, MON + timedelta(days=2), 10),
        run(4, MON + timedelta(days=3), 8, sport="TrailRun"),
        run(5, MON + timedelta(days=5), 6, sport="Ride"),
        run(6, MON + timedelta(days=5), 7),
        run(7, MON + timedelta(days=6), 16),
        run(8, MON + timedelta(days=6), 3, at=time(18)),
        run(9, MON + timedelta(days=9), 5),
    ]


def test_matching_is_independent_of_input_order() -> None:
    acts = _messy_week()
    expected = match(WEEK, acts)
    rng = random.Random(7)
    for _ in range(200):
        shuffled = acts[:]
        rng.shuffle(shuffled)
        ws = WEEK[:]
        rng.shuffle(ws)
        assert match(ws, shuffled) == expected
    # and over every order of a smaller set
    small = acts[:5]
    first = match(WEEK, small)
    assert all(match(WEEK, list(p)) == first for p in itertools.permutations(small))


def test_messy_week_outcome() -> None:
    r = match(WEEK, _messy_week())
    assert r.by_workout() == {
        WEEK[0].id: (1, 2),  # doubles
        WEEK[1].id: (3,),  # tempo a day late
        WEEK[2].id: (4,),  # trail run counts
        WEEK[3].id: (6,),  # Saturday run for Friday's, the ride ignored
        WEEK[4].id: (7, 8),  # long run plus an evening shake-out on the same day
    }
    assert r.ignored == (5,)
    assert r.extra == (9,)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0.0, "red"),
        (0.49, "red"),
        (0.50, "yellow"),
        (0.79, "yellow"),
        (0.80, "green"),
        (1.00, "green"),
        (1.20, "green"),
        (1.21, "yellow"),
        (1.50, "yellow"),
        (1.51, "red"),
        (None, "red"),
    ],
)
def test_compliance_colours_follow_trainingpeaks(ratio: float | None, expected: str) -> None:
    assert colour(ratio) == expected  # docs/science.md#compliance-colours


def test_missed_and_planned_status() -> None:
    w = WEEK[0]
    assert workout_compliance(w, [], MON + timedelta(days=1)).status == "missed"
    assert workout_compliance(w, [], MON + timedelta(days=1)).colour == "red"  # not completed is red
    planned = workout_compliance(w, [], MON)
    assert planned.status == "planned"
    assert planned.colour is None


def test_compliance_uses_distance() -> None:
    wc = workout_compliance(WEEK[4], [run(1, MON + timedelta(days=6), 10)], MON + timedelta(days=7), (1,))
    assert wc.ratio == pytest.approx(10 / 16, abs=0.001)
    assert wc.colour == "yellow"


def test_plan_compliance_covers_every_workout() -> None:
    from planner import plan_compliance

    as_of = MON + timedelta(days=4)
    acts = [run(1, MON, 5), run(2, MON + timedelta(days=2), 10), run(3, MON + timedelta(days=6), 16)]
    result = plan_compliance(WEEK, acts, as_of)
    assert set(result) == {w.id for w in WEEK}
    assert result[WEEK[0].id].colour == "yellow"  # 5 of 8 km (50–79 %)
    assert result[WEEK[1].id].colour == "green"  # the tempo, a day late
    assert result[WEEK[2].id].status == "missed"  # Thursday, before as_of
    assert result[WEEK[3].id].status == "planned"  # Friday = as_of
    assert result[WEEK[4].id].status == "planned"  # the Sunday run is after as_of and not counted yet
