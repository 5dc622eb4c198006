"""Weekly review at scale: athletes/s of the set-based review (jobs.review) over N synthetic athletes with active
plans in a fresh PostgreSQL database (issue 6 §1, goal ≥ 2,000/s), against the per-athlete path
(jobs.service.weekly_review: load the plan JSON and the runs, summarize in Python) on a sample in the same run.

Data (not timed, loaded with COPY): N athletes spread over nine timezones from Los Angeles to Sydney, one active
plan each with its 13 weeks in `plan_weeks`, 6 activities each (4 runs in the reviewed week, one the week before,
one bike ride), 3 matched workouts each and a change reason for every tenth plan. "Now" is a Tuesday 05:00 UTC,
when every one of those timezones is inside its review window.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

import planner
from bench.economy import _fresh
from jobs import review, service
from messages import Audience, digest
from store.db import UnitOfWork, engine_for, session_factory
from store.plan_repository import week_rows

WEEK = date(2026, 11, 16)  # the reviewed week (a Monday)
NOW = datetime(
    2026, 11, 24, 5, 0, tzinfo=UTC
)  # Tuesday 05:00 UTC: Monday 21:00 in LA, Tuesday 16:00 in Sydney
HOUR = 20
PLAN_START = WEEK - timedelta(weeks=4)
TIMEZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Amsterdam",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
]
PROFILE = planner.Athlete(weekly_km=40, runs_per_week=5, vdot=45)
GOAL = planner.Goal(planner.GoalKind.RACE, PLAN_START + timedelta(weeks=12, days=6), 21_097.5)


def _copy(conn: Any, table: str, columns: list[str], rows: Any) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _populate(url: str, athletes: int, baseline_sample: int) -> dict[str, Any]:
    import psycopg

    plan = planner.generate_plan(PROFILE, GOAL, PLAN_START)
    plan_json = planner.plan_to_dict(plan)
    weeks = week_rows(plan_json)
    run_days = [w.date for w in plan.week_of(WEEK).workouts if w.is_run]  # type: ignore[union-attr]
    created = NOW - timedelta(weeks=6)
    ids = range(1, athletes + 1)
    tz = {a: TIMEZONES[a % len(TIMEZONES)] for a in ids}
    profile, goal = json.dumps(plan_json["athlete"]), json.dumps(plan_json["goal"])
    started = time.monotonic()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        _copy(conn, "athletes", ["id", "firstname", "lastname", "timezone", "created_at"],
              ((a, "Synthetic", str(a), tz[a], created) for a in ids))  # fmt: skip
        _copy(
            conn,
            "plans",
            ["id", "athlete_id", "active", "source", "athlete_profile", "goal", "start", "timezone", "version",
             "suppressed", "created_at", "updated_at"],
            ((a, a, True, "generated", profile, goal, PLAN_START, tz[a], 1, "[]", created, created) for a in ids),
        )  # fmt: skip
        _copy(conn, "plan_weeks", ["plan_id", "week_start", "planned_km", "planned_runs", "version"],
              ((a, start, km, runs, 1) for a in ids for start, km, runs in weeks))  # fmt: skip
        # The per-athlete baseline needs the full plan JSON; only its sample gets a version row.
        blob = json.dumps(plan_json)
        _copy(conn, "plan_versions", ["plan_id", "version", "plan", "as_of", "cause", "created_at"],
              ((a, 1, blob, None, "generated", created) for a in range(1, baseline_sample + 1)))  # fmt: skip

        def activities() -> Any:
            for a in ids:
                km = 6.0 + (a % 7)
                days = [*run_days[:4], WEEK - timedelta(days=2), run_days[0]]
                for n, day in enumerate(days):
                    is_run = n < 5
                    start = datetime(day.year, day.month, day.day, 7, 0)
                    yield (a * 10 + n, a, "Morning Run" if is_run else "Ride", "Run" if is_run else "Ride",
                           is_run, start.replace(tzinfo=UTC), start, day, tz[a], km * 1000 + n * 100,
                           int(km * 300), int(km * 310), 0.0, False, False, False, "[]", "[]", "{}", created)  # fmt: skip

        _copy(
            conn,
            "activities",
            ["id", "athlete_id", "name", "sport_type", "is_run", "start_date", "start_date_local", "local_date",
             "timezone", "distance_m", "moving_time_s", "elapsed_time_s", "elevation_gain_m", "manual", "trainer",
             "private", "laps", "splits_metric", "raw",
             "fetched_at"],
            activities(),
        )  # fmt: skip
        _copy(conn, "plan_matches", ["plan_id", "workout_id", "activity_id", "source", "created_at"],
              ((a, f"w{run_days[n]:%Y%m%d}", a * 10 + n, "auto", created) for a in ids for n in range(3)))  # fmt: skip
        _copy(conn, "plan_changes",
              ["plan_id", "change_id", "version", "code", "week_start", "reason", "change", "undone", "created_at"],
              ((a, f"volume@{WEEK + timedelta(weeks=1)}", 1, "volume", WEEK + timedelta(weeks=1),
                "You ran 30.0 of 40.0 planned km last week; next week stays at 34.0 km.", "{}", False,
                datetime(2026, 11, 18, 9, 0, tzinfo=UTC)) for a in ids if a % 10 == 0))  # fmt: skip
        conn.execute("ANALYZE")
        conn.commit()
    return {
        "setup_s": round(time.monotonic() - started, 1),
        "plan_weeks_rows": athletes * len(weeks),
        "activities_rows": athletes * 6,
    }


def run(athletes: int = 100_000, baseline_sample: int = 200) -> dict[str, Any]:
    url = _fresh("runsmart_bench_weekly")
    setup = _populate(url, athletes, baseline_sample)
    engine = engine_for(url)
    sessions = session_factory(engine)

    # Baseline: the per-athlete path (one transaction each) on a sample; its rows are removed afterwards.
    started = time.monotonic()
    for athlete_id in range(1, baseline_sample + 1):
        with UnitOfWork(sessions) as uow:
            outcome = service.weekly_review(uow.session, athlete_id, WEEK, now=NOW)
            assert outcome == "reviewed", outcome
            uow.commit()
    per_athlete_rate = baseline_sample / (time.monotonic() - started)
    with engine.begin() as conn:
        sample = conn.execute(
            text("SELECT payload FROM notification_outbox ORDER BY athlete_id LIMIT 1")
        ).scalar_one()
        conn.execute(text("DELETE FROM notification_outbox"))

    started = time.monotonic()
    result = review.review_all(sessions, now=NOW, hour=HOUR)
    elapsed = time.monotonic() - started
    started = time.monotonic()
    rerun = review.review_all(sessions, now=NOW, hour=HOUR)
    rerun_s = time.monotonic() - started
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT count(*) FROM notification_outbox")).scalar_one()
        bulk_sample = conn.execute(
            text("SELECT payload FROM notification_outbox WHERE athlete_id = 1")
        ).scalar_one()
    engine.dispose()
    rate = result.scanned / elapsed
    return {
        "athletes": athletes,
        "timezones": len(result.due_timezones),
        **setup,
        "seconds": round(elapsed, 2),
        "athletes_per_s": round(rate),
        "rows_written": result.written,
        "outbox_rows": rows,
        "chunks": result.chunks,
        "rerun_seconds": round(rerun_s, 2),
        "rerun_rows_written": rerun.written,
        "per_athlete_sample": baseline_sample,
        "per_athlete_per_s": round(per_athlete_rate, 1),
        "bulk_vs_per_athlete": round(rate / per_athlete_rate, 1),
        "same_figures_as_per_athlete": (
            (bulk_sample["planned_km"], bulk_sample["done_km"]) == (sample["planned_km"], sample["done_km"])
        ),
        # The digest's words are rendered at delivery from these figures (messages/digest.py).
        "example_headline": digest.from_payload(Audience(), bulk_sample).message.headline,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(athletes=10_000 if "--quick" in sys.argv else 100_000), indent=2))
