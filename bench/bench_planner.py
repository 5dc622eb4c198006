"""Planner benchmark: generate a 16-week plan and adapt it over 12 weeks of activities, per athlete.

Run:

    .venv/bin/python bench/bench_planner.py            # 200 athletes, prints the median and p90 per athlete
    .venv/bin/python bench/bench_planner.py --athletes 1000 --seed 7

Not a timed test: the target (≤ 5 ms median per athlete, issue 3) is checked by reading the output.
Synthetic athletes vary volume (15–110 km), runs per week (3–7), VDOT (30–70), goal distance and long-run
day; their 12 weeks of runs (built before timing by planner.synthetic.simulate: the athlete follows the plan as
it adapts each Monday) mix weeks run as planned, missed runs, a missed week, runs too fast and extra volume, so
every adaptation rule fires somewhere.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from planner import Activity, Athlete, Goal, GoalKind, Plan, Workout, adapt, generate_plan, training_paces
from planner.synthetic import Behaviour, simulate

DISTANCES = (5000.0, 10000.0, 21097.5, 42195.0)


def synthetic_athlete(rng: random.Random) -> tuple[Athlete, Goal, date]:
    weekly = rng.uniform(15, 110)
    athlete = Athlete(
        weekly_km=round(weekly, 1),
        runs_per_week=rng.randint(3, 7),
        long_run_day=rng.choice((5, 6)),
        vdot=round(rng.uniform(30, 70), 1),
        max_hr=rng.choice((None, 185.0)),
        long_run_km=round(weekly * rng.uniform(0.2, 0.35), 1),
    )
    start = date(2026, 1, 5) + timedelta(weeks=rng.randint(0, 30))
    goal = Goal(GoalKind.RACE, start + timedelta(weeks=15, days=6), rng.choice(DISTANCES))
    return athlete, goal, start


MOODS = ("ok", "skip_some", "skip_all", "fast", "more")
MOOD_WEIGHTS = (70, 12, 4, 8, 6)


def moody_athlete(rng: random.Random) -> Behaviour:
    """Each week a mood (drawn when the week begins): as planned give or take 10 %, half the runs skipped, the
    whole week skipped, everything at 80 % of easy pace, or 30 % more distance."""
    moods: dict[int, str] = {}

    def runs_for(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
        mood = moods.setdefault(week, rng.choices(MOODS, MOOD_WEIGHTS)[0])
        if mood == "skip_all" or (mood == "skip_some" and rng.random() < 0.5):
            return []
        factor = 1.3 if mood == "more" else rng.uniform(0.9, 1.1)
        run: dict[str, Any] = {"distance_factor": factor}
        if mood == "fast":
            run["work_pace"] = sum(training_paces(plan.vdot).easy) / 2 * 0.8
        return [run]

    return runs_for


def synthetic_runs(plan: Plan, rng: random.Random, weeks: int = 12) -> list[Activity]:
    """The runs of an athlete who follows ``plan`` (as it adapts each Monday) for ``weeks`` weeks, moodily."""
    return simulate(plan, plan.start + timedelta(weeks=weeks), moody_athlete(rng)).activities


def measure(athletes: int = 200, seed: int = 1) -> dict[str, float | int]:
    rng = random.Random(seed)
    cases = []
    for _ in range(athletes):
        athlete, goal, start = synthetic_athlete(rng)
        runs = synthetic_runs(generate_plan(athlete, goal, start), rng)
        cases.append((athlete, goal, start, runs, start + timedelta(weeks=12)))

    times = []
    changes = 0
    for athlete, goal, start, runs, as_of in cases:
        t0 = time.perf_counter()
        plan = generate_plan(athlete, goal, start)
        result = adapt(plan, runs, as_of)
        times.append(time.perf_counter() - t0)
        changes += len(result.changes)

    times.sort()
    return {
        "athletes": len(times),
        "changes": changes,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))] * 1000, 2),
        "max_ms": round(times[-1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = measure(args.athletes, args.seed)
    print(
        f"athletes: {result['athletes']}  changes: {result['changes']}  (16-week plan + adapt over 12 weeks of runs)"
    )
    print(
        f"median per athlete: {result['median_ms']:.2f} ms   p90: {result['p90_ms']:.2f} ms   max: {result['max_ms']:.2f} ms"
    )


if __name__ == "__main__":
    main()
