"""File import: activities/s through `runsmart import`'s path for a folder of 1,000 mixed synthetic activity
files (FIT, GPX and TCX in turn, every tenth gzipped), against the same files parsed by the parser libraries
alone (Garmin's FIT SDK, gpxpy, tcxreader: the floor), in the same run on the same files.

    .venv/bin/python -m bench.import_files              # 1,000 files
    .venv/bin/python -m bench.import_files --files 200

Three figures: the libraries alone; our read (sniffing, unpacking, the XML guard, the same library, the
plausibility checks: no database); the whole import into a fresh PostgreSQL database (read, keep the
original, file the copy, the plan pipeline for an athlete with an active plan, one commit per file). Each file
is a distinct run of 20-100 minutes with a point every 5 s, three runs a day over the year of the plan.
Needs PostgreSQL on localhost (as for `make test`).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import planner
from plans import commands
from plans.pipeline import PlanPipeline
from sources.files.formats import FileFormat
from sources.files.importer import FileImporter
from sources.files.originals import Originals
from sources.files.synthetic import RunSpec, activity_file
from sources.ledger import Ledger
from store import athlete_repository
from store.db import UnitOfWork, engine_for, session_factory

ATHLETE_ID = 4242
PLAN_START = date(2025, 1, 6)


def write_files(folder: Path, count: int, seed: int = 7) -> list[tuple[Path, FileFormat]]:
    rng = random.Random(seed)
    files = []
    formats = list(FileFormat)
    for index in range(count):
        fmt = formats[index % len(formats)]
        start = datetime.combine(PLAN_START, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8 * index + 6)
        minutes = rng.uniform(20, 100)
        spec = RunSpec(
            start=start,
            elapsed_s=round(minutes * 60),
            distance_m=minutes * 60 * rng.uniform(2.4, 3.8),
            heart_rate=rng.randint(120, 175),
            laps=max(1, round(minutes / 10)),
        )
        data = activity_file(spec, fmt)
        packed = index % 10 == 9
        path = folder / f"{index:04d}.{fmt.value}{'.gz' if packed else ''}"
        path.write_bytes(gzip.compress(data) if packed else data)
        files.append((path, fmt))
    return files


def library_alone(path: Path, fmt: FileFormat) -> None:
    """What the libraries do with the file, and nothing else (a .gz unpacked first, as we must too)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if fmt is FileFormat.FIT:
        from garmin_fit_sdk import Decoder, Stream

        Decoder(Stream.from_byte_array(bytearray(data))).read()
    elif fmt is FileFormat.GPX:
        import gpxpy

        gpxpy.parse(data.decode("utf-8"))
    else:
        from tcxreader.tcxreader import TCXReader

        TCXReader().read(io.BytesIO(data), only_gps=False)  # type: ignore[arg-type]


def _rate(files: list[tuple[Path, FileFormat]], step: Callable[[Path, FileFormat], Any]) -> float:
    started = time.perf_counter()
    for path, fmt in files:
        step(path, fmt)
    return len(files) / (time.perf_counter() - started)


def _database() -> tuple[str, Callable[[], None]]:
    from tests.conftest import create_database, drop_database

    name = "runsmart_bench_import"
    url = create_database(name)

    def drop() -> None:
        engine_for(url).dispose()
        drop_database(name)

    return url, drop


def _athlete(sessions: Any, *, with_plan: bool) -> None:
    with UnitOfWork(sessions) as uow:
        athlete_repository.get_or_add_athlete(uow.session, ATHLETE_ID, now=datetime.now(UTC))
        uow.session.flush()
        if not with_plan:
            uow.commit()
            return
        commands.create_from_goal(
            uow.session,
            ATHLETE_ID,
            athlete=planner.Athlete(weekly_km=50, runs_per_week=5, vdot=48, long_run_km=16),
            goal=planner.Goal(planner.GoalKind.RACE, PLAN_START + timedelta(weeks=50), 42_195.0),
            start=PLAN_START,
            timezone="Europe/Amsterdam",
            now=datetime(2025, 1, 6, tzinfo=UTC),
        )
        uow.commit()


def _import_rate(folder: Path, files: list[tuple[Path, FileFormat]], *, with_plan: bool) -> float:
    """Every file imported into a fresh database, one transaction each; with the plan pipeline adapting an
    active plan after each (as in production), or without any plan (the import's own cost)."""
    url, drop = _database()
    kept = folder / f"kept-{with_plan}"
    try:
        sessions = session_factory(engine_for(url))
        _athlete(sessions, with_plan=with_plan)
        effects = [PlanPipeline()] if with_plan else []
        importer = FileImporter(Ledger(), Originals(kept), max_bytes=64 * 1024 * 1024, effects=effects)

        def import_one(path: Path, _: FileFormat) -> None:
            with UnitOfWork(sessions) as uow:
                importer.import_bytes(uow.session, ATHLETE_ID, path.read_bytes())
                uow.commit()

        return _rate(files, import_one)
    finally:
        drop()


def run(count: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="runsmart-bench-import-") as scratch:
        folder = Path(scratch)
        (folder / "in").mkdir()
        files = write_files(folder / "in", count)
        size = sum(path.stat().st_size for path, _ in files)
        floor = _rate(files, library_alone)
        reader = FileImporter(Ledger(), Originals(folder / "unused"), max_bytes=64 * 1024 * 1024)
        ours_read = _rate(files, lambda path, _: reader.read(path.read_bytes()))
        ours_import = {plan: _import_rate(folder, files, with_plan=plan) for plan in (False, True)}
    return {
        "files": count,
        "megabytes": round(size / 1e6, 1),
        "library_alone_per_s": round(floor, 1),
        "read_per_s": round(ours_read, 1),
        "import_without_plan_per_s": round(ours_import[False], 1),
        "import_per_s": round(ours_import[True], 1),
        "read_share_of_floor": round(ours_read / floor, 2),
        "import_without_plan_share_of_floor": round(ours_import[False] / floor, 2),
        "import_share_of_floor": round(ours_import[True] / floor, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=1000)
    print(json.dumps(run(parser.parse_args().files), indent=2))


if __name__ == "__main__":
    main()
