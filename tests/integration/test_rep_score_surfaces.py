"""A structured session's rep score where the athlete sees the match (docs/workouts.md#rep-scoring), on the real
PostgreSQL with Strava mocked: an interval session's run synced with its laps gives a `workout.matched` whose
message names the reps inside and outside the band in the athlete's units and whose `rep_score` holds each rep;
`GET /plan` and the plan page carry the same score. Recoveries are judged against the plan's easy pace."""

from __future__ import annotations

import html as markup
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient

import planner
from composition.root import Container
from messages import Audience, Units
from messages.audience import METRES_PER_MILE
from plans import commands
from store.db import UnitOfWork
from tests.integration.conftest import ATHLETE_ID, AUTH, connect_athlete
from tests.integration.test_plans_pipeline import TZ, current_plan, last_monday, outbox, push_run
from tests.unit.messages.checks import problems

pytestmark = pytest.mark.integration

BASE = f"/api/v1/athletes/{ATHLETE_ID}"
VDOT = 45.0
REP_M, REPS, RECOVERY_S = 800.0, 6, 90.0
INSIDE_S, FAST_S = 204, 196  # 800 m in 3:24 (255 s/km, inside the I band) and in 3:16 (245 s/km, too fast)
JOG_PACE, QUICK_JOG_PACE = (
    400.0,
    300.0,
)  # s/km: an easy jog, and one faster than easy pace yet far off the reps


def interval_plan() -> planner.Plan:
    """A generated plan whose first workout (last week) is 6 × 800 m at I pace with 90 s recoveries."""
    plan = planner.generate_plan(
        planner.Athlete(weekly_km=40, runs_per_week=4, vdot=VDOT, long_run_km=12),
        planner.Goal(planner.GoalKind.RACE, last_monday() + timedelta(weeks=14), 10000),
        last_monday(),
    )
    first = plan.weeks[0].workouts[0]
    i_pace = planner.training_paces(VDOT).interval
    band = (round(i_pace - 3, 1), round(i_pace + 3, 1))
    session = planner.Workout(
        id=first.id,
        date=first.date,
        type=planner.WorkoutType.INTERVALS,
        distance_m=2000 + REPS * REP_M + 2000,
        duration_s=3300.0,
        pace=band,
        warmup_m=2000.0,
        reps=(planner.RepSet(REPS, REP_M, band, RECOVERY_S, "I"),),
        cooldown_m=2000.0,
    )
    week = replace(plan.weeks[0], workouts=(session, *plan.weeks[0].workouts[1:]))
    return replace(plan, weeks=(week, *plan.weeks[1:]))


def upload(container: Container) -> planner.Workout:
    with UnitOfWork(container.sessions) as uow:
        commands.upload(
            uow.session,
            ATHLETE_ID,
            plan_json=planner.plan_to_dict(interval_plan()),
            timezone=TZ,
            now=datetime.now(UTC),
        )
        uow.commit()
    session = current_plan(container).weeks[0].workouts[0]
    assert session.type is planner.WorkoutType.INTERVALS
    return session


def strava_lap(index: int, metres: float, seconds: int) -> dict[str, Any]:
    return {
        "id": index,
        "lap_index": index,
        "split": index,
        "distance": metres,
        "moving_time": seconds,
        "elapsed_time": seconds,
        "average_speed": round(metres / seconds, 3),
    }


def session_laps() -> list[dict[str, Any]]:
    """Warm-up; four reps inside the band and the last two too fast; the second recovery jogged too quickly."""
    laps = [(2000.0, 660)]
    for rep in range(REPS):
        laps.append((REP_M, INSIDE_S if rep < REPS - 2 else FAST_S))
        if rep < REPS - 1:
            jog = QUICK_JOG_PACE if rep == 1 else JOG_PACE
            laps.append((round(RECOVERY_S / jog * 1000, 1), int(RECOVERY_S)))
    laps.append((2000.0, 660))
    return [strava_lap(i + 1, m, s) for i, (m, s) in enumerate(laps)]


def expected_summary(audience: Audience, band: tuple[float, float]) -> str:
    """The sentence, built from the laps above with the reader's own formatting: seconds off per km as whole
    seconds, per mile converted from the rep's pace."""
    off_per_km = band[0] - FAST_S / (REP_M / 1000)
    per_mile = audience.unit_metres == METRES_PER_MILE
    amount = round(off_per_km * METRES_PER_MILE / 1000) if per_mile else round(off_per_km)
    return (
        f"4 of 6 reps inside {audience.pace_range(band)}: the last two were {amount} s/{audience.unit} too fast. "
        "1 of 5 recoveries was run too fast."
    )


def sync_session(container: Container, strava: responses.RequestsMock, laps: list[dict[str, Any]]) -> int:
    session = current_plan(container).weeks[0].workouts[0]
    metres = sum(lap["distance"] for lap in laps)
    event = push_run(container, strava, session.date, 701, distance_m=metres, laps=laps)
    assert container.events.process(event).outcome == "synced"
    return 701


@pytest.mark.parametrize("units", list(Units))
def test_an_interval_sessions_laps_are_scored_in_the_message_the_api_and_the_page(
    client: TestClient, container: Container, strava: responses.RequestsMock, units: Units
) -> None:
    connect_athlete(container)
    assert client.put(f"{BASE}/preferences", json={"units": units.value}, headers=AUTH).status_code == 200
    session = upload(container)
    band = session.reps[0].pace
    reader = Audience.of(units.value, TZ)
    sync_session(container, strava, session_laps())

    [matched] = outbox(container, "workout.matched")
    score = matched.payload["rep_score"]
    assert score["outcome"] == "scored"
    assert (score["planned"], score["found"], score["inside"]) == (6, 6, 4)
    assert [r["verdict"] for r in score["reps"]] == ["inside"] * 4 + ["too_fast"] * 2
    assert all(r["target_pace_s_per_km"] == list(band) for r in score["reps"])
    assert [r["pace_s_per_km"] for r in score["reps"]] == [INSIDE_S / 0.8] * 4 + [FAST_S / 0.8] * 2
    # Jogged at 5:00/km: slower than the reps by far, yet faster than easy pace, the plan's own E range.
    assert [r["verdict"] for r in score["recoveries"]] == ["easy", "too_fast", "easy", "easy", "easy"]
    said = expected_summary(reader, band)
    assert score["text"] == said
    message = matched.payload["message"]
    assert said in message["body"]
    assert f"Rep 6: {reader.pace(FAST_S / 0.8)}" in "\n".join(message["details"])
    text = "\n".join([message["headline"], message["body"], *message["details"]])
    assert not problems(text, units)

    api = client.get(f"{BASE}/plan", headers=AUTH).json()
    workouts = {w["id"]: w for week in api["weeks"] for w in week["workouts"]}
    assert workouts[session.id]["activity_ids"] == [701]
    assert workouts[session.id]["rep_score"] == score  # the same fields and words as the notification
    assert workouts[session.id]["reps"][0]["count"] == REPS  # the planned sets keep their own key
    assert all(w["rep_score"] is None for wid, w in workouts.items() if wid != session.id)

    url = client.post(f"{BASE}/plan-page-link", headers=AUTH).json()["url"]
    page = markup.unescape(client.get(re.sub(r"^https?://[^/]+", "", url)).text)
    assert said in page


def test_automatic_laps_are_not_scored_and_the_message_says_how_to_lap_the_reps(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    upload(container)
    splits = [strava_lap(i + 1, 1000.0, 300) for i in range(10)] + [strava_lap(11, 400.0, 120)]
    sync_session(container, strava, splits)

    [matched] = outbox(container, "workout.matched")
    assert matched.payload["rep_score"]["outcome"] == "auto_laps"
    assert matched.payload["rep_score"]["reps"] == []
    body = matched.payload["message"]["body"]
    assert "automatic splits" in body
    assert "lap button" in body
    api = client.get(f"{BASE}/plan", headers=AUTH).json()
    scored = [w["rep_score"] for week in api["weeks"] for w in week["workouts"] if w["rep_score"]]
    assert [s["outcome"] for s in scored] == ["auto_laps"]
