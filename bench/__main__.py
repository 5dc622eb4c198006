"""`make bench`: every benchmark in one run, results written to bench/results/ and README's Performance section.

    .venv/bin/python -m bench                # the full run (a few minutes; needs PostgreSQL, Redis and wrk)
    .venv/bin/python -m bench --quick        # smaller sizes, for a smoke run
    .venv/bin/python -m bench --only intake  # one of: planner, intake, economy, pipeline, weekly, latency,
                                             # import, dedupe

Every ratio is against a baseline measured in the same run on the same machine. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    bench_planner,
    economy,
    import_dedupe,
    import_files,
    intake,
    latency,
    pipeline,
    weekly_review,
)
from bench.report import render_markdown, update_readme
from store.db import engine_for

RESULTS = Path(__file__).with_name("results")
CHOICES = ["planner", "intake", "economy", "pipeline", "weekly", "latency", "import", "dedupe"]


def main() -> None:
    parser = argparse.ArgumentParser(description="RunSmart Sync benchmarks")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=CHOICES, action="append")
    parser.add_argument(
        "--no-readme", action="store_true", help="do not rewrite README's Performance section"
    )
    args = parser.parse_args()
    wanted = set(args.only or CHOICES)
    previous = RESULTS / "latest.json"
    # `--only X` re-measures X and keeps the other figures of the last run (each section names its own run time).
    results: dict[str, Any] = json.loads(previous.read_text()) if args.only and previous.exists() else {}
    results |= {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": args.quick,
    }
    quick = args.quick
    benchmarks: dict[str, Callable[[], Any]] = {
        "planner": lambda: bench_planner.measure(athletes=50 if quick else 200),
        "intake": lambda: intake.run(seconds=5 if quick else 15),
        "economy": lambda: economy.run(quick=quick),
        "pipeline": lambda: pipeline.run(runs=60 if quick else 200),
        "weekly": lambda: weekly_review.run(athletes=10_000 if quick else 100_000),
        "latency": lambda: latency.run(runs=30 if quick else 100),
        "import": lambda: import_files.run(count=200 if quick else 1000),
        "dedupe": lambda: import_dedupe.run(athletes=2 if quick else 4, days=60 if quick else 180),
    }
    for name, measure in benchmarks.items():
        if name in wanted:
            print(f"{name} …", flush=True)
            results[name] = measure()
    for url in economy.FRESH_DATABASES:  # close their pools now, not in the collector at interpreter exit
        engine_for(url).dispose()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (RESULTS / "latest.md").write_text(markdown)
    if not args.no_readme and not args.quick:
        update_readme(Path(__file__).resolve().parent.parent / "README.md", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
