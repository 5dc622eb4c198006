"""`workout.matched` judges a steady run's pace against the workout's pace range, not only its distance: an easy
run at marathon pace is "faster than easy", with both paces in the athlete's unit, and never "on target". The
judgement is made on the paces as the athlete reads them (whole seconds per km or per mile)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import planner
from messages import examples, notifications
from messages.audience import Audience
from messages.examples import TUESDAY
from plans import notify
from store.plan_models import Plan as PlanRow
from tests.unit.messages.checks import problems

STEADY = ("easy", "long", "recovery")
KM = 10.0


def matched(audience: Audience, kind: str, pace_s_per_km: float, runs: int = 1) -> notifications.Message:
    w = examples.workout(TUESDAY, kind, KM)
    done_m = KM * 1000
    return notifications.workout_matched(
        audience, w, done_m=done_m, colour="green", manual=False, done_s=pace_s_per_km * KM, runs=runs
    )


@pytest.mark.parametrize("audience", examples.AUDIENCES, ids=lambda a: str(a.units))
@pytest.mark.parametrize("kind", STEADY)
def test_a_steady_runs_pace_is_judged_against_its_range_as_the_athlete_reads_both(
    audience: Audience, kind: str
) -> None:
    band = examples.workout(TUESDAY, kind, KM).pace
    fast, slow = (audience.pace_seconds(end) for end in band)
    for pace in range(int(band[0]) - 40, int(band[1]) + 40, 3):
        message = matched(audience, kind, float(pace))
        shown = audience.pace_seconds(pace)
        text = message.text()
        assert audience.pace(pace) in message.body
        assert audience.pace_range(band) in message.body
        if shown < fast:
            assert "faster than" in message.headline
        elif shown > slow:
            assert "slower than" in message.headline
        else:
            assert message.headline.endswith("on target")
        if not fast <= shown <= slow:
            assert "on target" not in text  # the distance alone does not make a run on target
        assert not problems(text, audience.units), problems(text, audience.units)


def test_an_easy_run_at_marathon_pace_is_faster_than_easy_and_says_how_to_run_it() -> None:
    for audience in examples.AUDIENCES:
        easy = examples.workout(TUESDAY)
        marathon = planner.training_paces(45.0).marathon
        message = matched(audience, "easy", marathon)
        assert message.headline.endswith("faster than easy")
        assert f"slower than {audience.pace(easy.pace[0])}" in message.body
        assert f"{audience.pace(marathon)}" in "\n".join(message.details)


def test_sessions_whose_average_pace_says_nothing_are_judged_on_distance_only() -> None:
    audience = examples.AUDIENCES[0]
    session = examples.intervals(TUESDAY)
    message = notifications.workout_matched(
        audience, session, done_m=12000.0, colour="green", manual=False, done_s=12000.0 * 0.2
    )
    assert message.headline.endswith("on target")
    assert "/km" not in message.body


def test_a_second_run_on_the_same_workout_is_said_as_runs_that_add_up() -> None:
    for audience in examples.AUDIENCES:
        message = matched(audience, "easy", 340.0, runs=2)
        assert "2 runs add up to" in message.body
        assert not problems(message.text(), audience.units)


def test_the_payload_judges_the_pace_from_the_runs_moving_time() -> None:
    row = PlanRow(id=1, athlete_id=2, version=3, timezone="Europe/London")
    w = examples.workout(TUESDAY + timedelta(days=7))
    too_fast = planner.WorkoutCompliance(
        w.id, "completed", 1.0, "green", (11, 12), completed_m=w.distance_m, completed_s=w.distance_m * 0.28
    )
    payload = notify.workout_matched_payload(
        examples.AUDIENCES[1], row, workout=w, activity_id=12, compliance=too_fast, manual=False
    )
    assert payload["message"]["headline"].endswith("faster than easy")
    assert "2 runs add up to" in payload["message"]["body"]
    assert payload["colour"] == "green"  # the machine field keeps the planner's distance colour
