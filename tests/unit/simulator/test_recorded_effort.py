"""A requested distance or moving time is what the device recorded: laps, splits and speeds follow it (the demo
runs the plan's workouts, some of them too fast, and the planner reads their laps)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest

from simulator.season import build_activity, make_athlete
from simulator.state import SimConfig, World

START = datetime(2026, 10, 13, 7, 0)


def _built(kind: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    world = World(SimConfig())
    athlete = make_athlete(world, random.Random("athlete"))
    return build_activity(world, athlete, kind, START, random.Random("run"), overrides=overrides)


@pytest.mark.parametrize("kind", ["easy", "long", "tempo", "intervals"])
@pytest.mark.parametrize(("metres", "seconds"), [(8400, 2874), (14700, 5054), (5900, 1722)])
def test_laps_splits_and_speeds_add_up_to_what_was_asked(kind: str, metres: int, seconds: int) -> None:
    run = _built(kind, {"distance": metres, "moving_time": seconds})
    laps, splits = run["laps"], run["splits_metric"]
    assert run["distance"] == metres
    assert run["moving_time"] == seconds
    assert sum(lap["distance"] for lap in laps) == pytest.approx(metres, abs=1)
    assert sum(lap["moving_time"] for lap in laps) == pytest.approx(seconds, abs=len(laps))
    assert sum(split["distance"] for split in splits) == pytest.approx(metres, abs=3 * len(splits))
    assert run["average_speed"] == pytest.approx(metres / seconds, rel=1e-3)


def test_a_faster_run_has_faster_laps_in_the_same_shape() -> None:
    slow = _built("easy", {"distance": 8000, "moving_time": 2880})
    fast = _built("easy", {"distance": 8000, "moving_time": 2304})
    assert len(fast["laps"]) == len(slow["laps"])
    for a, b in zip(fast["laps"], slow["laps"], strict=True):
        assert a["moving_time"] < b["moving_time"]


def test_without_a_request_the_draws_decide_as_before() -> None:
    assert _built("easy", None) == _built("easy", {"name": "Morning Run"})
    assert _built("easy", None)["distance"] != 8400
