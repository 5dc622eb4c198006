"""Deduplication: a synthetic season of runs delivered from two sources (Strava and activity files) with clock
skew and GPS distance differences, in random order, into a fresh PostgreSQL database; counts the runs that
ended as two activities (duplicates) and the activities holding two different runs (wrong merges). Both must
be 0 (docs/sources.md#one-run-one-activity).

    .venv/bin/python -m bench.import_dedupe               # 4 athletes x 180 days
    .venv/bin/python -m bench.import_dedupe --athletes 2 --days 60 --seed 3

The season, per athlete and day: most days one run, some days a double run (morning and evening, or a third of
them a second run 5-20 minutes after the first ends), a rest day now and then; every run is on Strava, most also in a file (FIT, GPX or TCX) whose start is off by up to ±150 s,
whose elapsed time differs by up to ±60 s and whose distance by up to ±5 %; a tenth are treadmill runs whose
watch distance is 12-20 % short of the distance corrected on Strava; a tenth are saved by the watch in two
files (a pause in the middle) while Strava holds the whole; a few are in a file only or on Strava only; a
twentieth of those on Strava are there twice (the watch synced it and the athlete uploaded the file again: a
second Strava activity of the same recording, started up to 5 s apart).
Strava's copy is written as its path writes it after a read (`repository.upsert_activity`), followed by the
same effect hook (`sources.strava.StravaSource`); files go through `FileImporter`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.import_files import _database
from sources.files.formats import FileFormat
from sources.files.importer import FileImporter
from sources.files.originals import Originals
from sources.files.synthetic import RunSpec, activity_file
from sources.ledger import Ledger
from sources.strava import StravaSource
from store import athlete_repository, repository
from store.db import UnitOfWork, engine_for, session_factory
from store.models import ActivityCopy, ActivitySource

SEASON_START = datetime(2025, 3, 3, tzinfo=UTC)
STRAVA_IDS = 10_000_000  # a run's Strava activity: this plus the run's number
UPLOADED_AGAIN = 10_000_000  # its second Strava activity, when uploaded twice: this more


@dataclass(frozen=True)
class Delivery:
    athlete_id: int
    truth: int  # the real run this copy is of
    source: str  # "strava" or a file format
    spec: RunSpec
    strava_id: int | None = None
    trainer: bool = False


def season(athletes: int, days: int, rng: random.Random) -> list[Delivery]:
    deliveries: list[Delivery] = []
    truth = 0
    for athlete_id in range(1, athletes + 1):
        for day in range(days):
            roll = rng.random()
            if roll < 0.15:
                continue  # rest day
            first = SEASON_START + timedelta(days=day, hours=6.5 + rng.uniform(0, 2))
            runs = [(first, rng.uniform(25, 110))]
            if roll > 0.88:  # a double run: in the evening, or (a third of them) right after the first
                soon = rng.random() < 1 / 3
                gap = runs[0][1] + rng.uniform(5, 20) if soon else 60 * rng.uniform(9, 11)
                runs.append((first + timedelta(minutes=gap), rng.uniform(20, 60)))
            for start, minutes in runs:
                truth += 1
                copies = _copies(athlete_id, truth, start, minutes, rng)
                deliveries += copies + _uploaded_again(copies, rng)
    rng.shuffle(deliveries)
    return deliveries


def _copies(
    athlete_id: int, truth: int, start: datetime, minutes: float, rng: random.Random
) -> list[Delivery]:
    distance = minutes * 60 * rng.uniform(2.5, 3.9)
    kind = rng.random()
    treadmill = kind < 0.10
    split = 0.10 <= kind < 0.20
    strava_spec = RunSpec(start=start, elapsed_s=round(minutes * 60), distance_m=distance, indoor=treadmill)
    strava = Delivery(
        athlete_id, truth, "strava", strava_spec, strava_id=STRAVA_IDS + truth, trainer=treadmill
    )
    fmt = rng.choice(list(FileFormat)).value
    if kind > 0.97:
        return [strava]  # on Strava only
    skew = timedelta(seconds=rng.uniform(-150, 150))
    if split:
        half = strava_spec.elapsed_s // 2
        first = RunSpec(start=start + skew, elapsed_s=half - 30, distance_m=distance / 2, every_s=10)
        second = RunSpec(
            start=start + skew + timedelta(seconds=half + 30),
            elapsed_s=half - 30,
            distance_m=distance / 2,
            every_s=10,
        )
        return [strava, Delivery(athlete_id, truth, fmt, first), Delivery(athlete_id, truth, fmt, second)]
    factor = rng.uniform(0.80, 0.88) if treadmill else rng.uniform(0.95, 1.05)
    watch = RunSpec(
        start=start + skew,
        elapsed_s=max(60, strava_spec.elapsed_s + rng.randint(-60, 60)),
        distance_m=distance * factor,
        indoor=treadmill,
        every_s=10,
    )
    copies = [Delivery(athlete_id, truth, fmt, watch)]
    return copies if kind > 0.94 else [strava, *copies]  # a few in a file only


def _uploaded_again(copies: list[Delivery], rng: random.Random) -> list[Delivery]:
    """The run's Strava activity uploaded to Strava a second time, now and then: a new id, the same recording."""
    on_strava = [d for d in copies if d.source == "strava"]
    if not on_strava or rng.random() >= 0.05:
        return []
    first = on_strava[0]
    assert first.strava_id is not None
    shifted = dataclasses.replace(first.spec, start=first.spec.start + timedelta(seconds=rng.uniform(0, 5)))
    return [dataclasses.replace(first, spec=shifted, strava_id=first.strava_id + UPLOADED_AGAIN)]


def _strava_row(delivery: Delivery, received: datetime) -> dict[str, Any]:
    """The row Strava's path writes after its read (sync.events.activity_row's columns)."""
    spec = delivery.spec
    local = spec.start + timedelta(hours=2)
    return {
        "id": delivery.strava_id, "athlete_id": delivery.athlete_id, "name": "Run", "sport_type": "Run",
        "is_run": True, "start_date": spec.start, "start_date_local": local.replace(tzinfo=None),
        "local_date": local.date(), "timezone": "Europe/Amsterdam", "distance_m": spec.distance_m,
        "moving_time_s": spec.elapsed_s - 30, "elapsed_time_s": spec.elapsed_s, "elevation_gain_m": 0.0,
        "average_heartrate": None, "max_heartrate": None, "workout_type": None, "manual": False,
        "trainer": delivery.trainer, "private": False, "laps": [], "splits_metric": [], "raw": {}, "fetched_at": received,
    }  # fmt: skip


def _deliver(
    sessions: Any, importer: FileImporter, strava: StravaSource, delivery: Delivery
) -> tuple[str, str]:
    """Deliver one copy in its own transaction; its (source, external id)."""
    with UnitOfWork(sessions) as uow:
        if delivery.source == "strava":
            repository.lock_athlete(uow.session, delivery.athlete_id)
            repository.upsert_activity(uow.session, _strava_row(delivery, datetime.now(UTC)))
            strava(uow.session, delivery.athlete_id, "synced")
            key = (ActivitySource.STRAVA.value, str(delivery.strava_id))
        else:
            data = activity_file(delivery.spec, FileFormat(delivery.source))
            imported = importer.import_bytes(uow.session, delivery.athlete_id, data)
            key = (imported.file.format.source.value, imported.file.digest)
        uow.commit()
    return key


def judge(sessions: Any, truth_of: dict[tuple[int, str, str], int]) -> dict[str, int]:
    """Duplicates: a run whose whole copies sit under two activities. Wrong merges: an activity holding
    copies of two runs."""
    runs_by_activity: dict[int, set[int]] = defaultdict(set)
    activities_by_run: dict[int, set[int]] = defaultdict(set)
    with sessions() as session:
        for copy in session.scalars(select(ActivityCopy)):
            truth = truth_of[(copy.athlete_id, copy.source, copy.external_id)]
            runs_by_activity[copy.activity_id].add(truth)
            if copy.role == "whole":
                activities_by_run[truth].add(copy.activity_id)
    return {
        "activities": len(runs_by_activity),
        "runs": len(activities_by_run),
        "duplicates": sum(1 for ids in activities_by_run.values() if len(ids) > 1),
        "wrong_merges": sum(1 for truths in runs_by_activity.values() if len(truths) > 1),
    }


def run(athletes: int = 4, days: int = 180, seed: int = 11) -> dict[str, Any]:
    deliveries = season(athletes, days, random.Random(seed))
    url, drop = _database()
    try:
        sessions = session_factory(engine_for(url))
        with UnitOfWork(sessions) as uow:
            for athlete_id in range(1, athletes + 1):
                athlete_repository.get_or_add_athlete(uow.session, athlete_id, now=datetime.now(UTC))
            uow.commit()
        with tempfile.TemporaryDirectory(prefix="runsmart-bench-dedupe-") as kept:
            importer = FileImporter(Ledger(), Originals(Path(kept)), max_bytes=64 * 1024 * 1024)
            strava = StravaSource(Ledger())
            truth_of: dict[tuple[int, str, str], int] = {}
            started = time.perf_counter()
            for delivery in deliveries:
                source, external_id = _deliver(sessions, importer, strava, delivery)
                truth_of[(delivery.athlete_id, source, external_id)] = delivery.truth
            elapsed = time.perf_counter() - started
        verdict = judge(sessions, truth_of)
    finally:
        drop()
    twice = sum(1 for d in deliveries if (d.strava_id or 0) > STRAVA_IDS + UPLOADED_AGAIN)
    return {"athletes": athletes, "days": days, "deliveries": len(deliveries), **verdict,
            "strava_uploaded_twice": twice, "deliveries_per_s": round(len(deliveries) / elapsed, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="deduplication over a synthetic two-source season")
    parser.add_argument("--athletes", type=int, default=4)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(json.dumps(run(args.athletes, args.days, args.seed), indent=2))


if __name__ == "__main__":
    main()
