"""Running the scorecard (planner.scorecard) over a cohort: timed, optionally split over worker processes."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor

from planner.scorecard import Tally, chunks, render_markdown, run_cohort


def _part(args: tuple[range, int]) -> Tally:
    numbers, seed = args
    return run_cohort(numbers, seed)


def run_scorecard(athletes: int, seed: int, processes: int = 1) -> tuple[Tally, str]:
    """The tally and the markdown report of ``athletes`` synthetic athletes drawn from ``seed``."""
    started, cpu = time.perf_counter(), time.process_time()
    if processes <= 1:
        tally = run_cohort(range(athletes), seed)
    else:
        tally = Tally()
        with ProcessPoolExecutor(max_workers=processes) as pool:
            for part in pool.map(_part, [(r, seed) for r in chunks(athletes, processes)]):
                tally.merge(part)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    cpu_seconds = cpu if processes <= 1 else None  # the workers' CPU is not the main process's
    return tally, render_markdown(
        tally, seed=seed, seconds=seconds, processes=processes, cpu_seconds=cpu_seconds
    )
