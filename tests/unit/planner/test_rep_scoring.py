"""Rep-level execution (planner/rep_scoring.py, docs/workouts.md#rep-scoring): hand-built laps for each rule and
sentence, and properties over sessions built by the planner's own session builders."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import Activity, Lap, RepSet, Workout, WorkoutType, training_paces, workout_compliance
from planner.rep_scoring import (
    RecoveryVerdict,
    RepVerdict,
    ScoreOutcome,
    planned_reps,
    score_laps,
    score_runs,
)
from planner.sessions import MILE_M, SessionContext, intervals, race_pace, repetitions, threshold

THOROUGH = os.environ.get("PLANNER_HYPOTHESIS") == "thorough"
EXAMPLES = 3_000 if THOROUGH else 150
COMMON: dict[str, Any] = {"deadline": None, "derandomize": not THOROUGH}
DAY = date(2026, 5, 5)
EASY = (300.0, 340.0)  # an easy range used with the hand-built sessions


def lap(metres: float, pace: float) -> Lap:
    seconds = round(metres / 1000 * pace)
    return Lap(metres, seconds, seconds)


def session(
    count: int, metres: float, band: tuple[float, float], recovery_s: float, label: str = "I"
) -> Workout:
    kind = WorkoutType.THRESHOLD if label == "T" else WorkoutType.INTERVALS
    return Workout(
        "w20260505",
        DAY,
        kind,
        2000 + count * metres + 2000,
        3600.0,
        band,
        warmup_m=2000.0,
        reps=(RepSet(count, metres, band, recovery_s, label),),
        cooldown_m=2000.0,
    )


def laps_for(w: Workout, rep_paces: list[float], jog_pace: float = 360.0) -> list[Lap]:
    """Warm-up, the reps at ``rep_paces`` with a recovery lap (jogged for the planned time) between, cool-down."""
    rs = w.reps[0]
    out = [lap(w.warmup_m, 330.0)]
    for i, pace in enumerate(rep_paces):
        out.append(lap(rs.distance_m, pace))
        if i < len(rep_paces) - 1 and rs.recovery_s > 0:
            out.append(Lap(rs.recovery_s / jog_pace * 1000, round(rs.recovery_s), round(rs.recovery_s)))
    return [*out, lap(w.cooldown_m, 330.0)]


EIGHT = session(8, 1000.0, (232.0, 238.0), 180.0)


# --- hand-built ---------------------------------------------------------------------------------------------


def test_six_of_eight_inside_and_the_last_two_too_fast() -> None:
    score = score_laps(EIGHT, laps_for(EIGHT, [235.0] * 6 + [223.0, 223.0]), EASY)
    assert score is not None
    assert score.outcome is ScoreOutcome.SCORED
    assert (
        score.summary == "6 of 8 reps inside 3:52–3:58/km; the last two 9 s/km too fast; every recovery easy."
    )
    assert [r.off_s for r in score.reps] == [0] * 6 + [-9, -9]
    assert score.inside == 6
    assert score.time_inside_s == 6 * 235


def test_misses_in_both_directions_are_named_by_rep() -> None:
    paces = [235.0, 235.0, 242.0, 235.0, 246.0, 235.0, 235.0, 235.0]
    paces[0] = 228.0
    score = score_laps(EIGHT, laps_for(EIGHT, paces), EASY)
    assert score is not None
    assert score.summary == (
        "5 of 8 reps inside 3:52–3:58/km; the first rep 4 s/km too fast; reps 3 and 5 4–8 s/km too slow; "
        "every recovery easy."
    )


def test_all_reps_inside() -> None:
    score = score_laps(EIGHT, laps_for(EIGHT, [232.0, 238.0, 235.0, 233.0, 237.0, 234.0, 236.0, 235.0]), EASY)
    assert score is not None
    assert score.summary.startswith("All 8 reps inside 3:52–3:58/km")
    assert all(r.verdict is RepVerdict.INSIDE for r in score.reps)


def test_automatic_kilometre_laps_cannot_be_scored() -> None:
    laps = [lap(1000.0, 300.0)] * 11 + [lap(400.0, 300.0)]
    score = score_laps(EIGHT, laps, EASY)
    assert score is not None
    assert score.outcome is ScoreOutcome.AUTO_LAPS
    assert score.reps == ()
    assert score.planned == 8
    assert "cannot be scored" in score.summary
    assert "automatic" in score.summary


def test_automatic_mile_laps_cannot_be_scored_either() -> None:
    score = score_laps(EIGHT, [lap(MILE_M + 5, 300.0)] * 7 + [lap(800.0, 300.0)], EASY)
    assert score is not None
    assert score.outcome is ScoreOutcome.AUTO_LAPS


def test_a_run_without_laps_cannot_be_scored() -> None:
    for laps in ([], [lap(12_000.0, 280.0)]):
        score = score_laps(EIGHT, laps, EASY)
        assert score is not None
        assert score.outcome is ScoreOutcome.NOT_LAPPED
        assert "no laps" in score.summary


def test_laps_that_show_no_rep_cannot_be_scored() -> None:
    score = score_laps(EIGHT, [lap(3000.0, 300.0), lap(4500.0, 280.0), lap(4500.0, 300.0)], EASY)
    assert score is not None
    assert score.outcome is ScoreOutcome.NO_MATCH


def test_a_session_stopped_early_says_how_many_reps_were_found() -> None:
    laps = laps_for(EIGHT, [235.0] * 5)
    score = score_laps(EIGHT, laps, EASY)
    assert score is not None
    assert len(score.reps) == 5
    assert score.summary.startswith("5 of 8 reps found in the laps, 5 inside 3:52–3:58/km")


def test_a_warm_up_in_automatic_laps_is_skipped() -> None:
    laps = laps_for(EIGHT, [235.0] * 8)
    split = [lap(1000.0, 330.0), lap(1000.0, 330.0), *laps[1:]]
    score = score_laps(EIGHT, split, EASY)
    assert score is not None
    assert score.outcome is ScoreOutcome.SCORED
    assert score.inside == 8


def test_jogs_as_long_as_the_reps_are_never_taken_for_reps() -> None:
    w = session(10, 400.0, (214.0, 220.0), 140.0, "R")
    laps = laps_for(w, [217.0] * 10, jog_pace=350.0)  # each jog is 400 m, like the reps
    assert abs(laps[2].distance_m - 400.0) < 1
    score = score_laps(w, laps, EASY)
    assert score is not None
    assert score.inside == 10
    assert all(r.pace < 230 for r in score.reps)


def test_a_recovery_after_the_last_rep_is_part_of_the_cool_down() -> None:
    laps = laps_for(EIGHT, [235.0] * 8)
    with_last = [*laps[:-1], Lap(500.0, 180, 180), laps[-1]]
    score = score_laps(EIGHT, with_last, EASY)
    assert score is not None
    assert score.inside == 8
    assert len(score.recoveries) == 7


def test_recoveries_run_faster_than_easy_are_too_fast() -> None:
    laps = laps_for(EIGHT, [235.0] * 8)
    laps[2] = lap(800.0, 260.0)  # the first recovery, 3 min at 4:20/km: faster than easy
    laps[6] = lap(780.0, 270.0)
    score = score_laps(EIGHT, laps, EASY)
    assert score is not None
    verdicts = [r.verdict for r in score.recoveries]
    assert verdicts.count(RecoveryVerdict.TOO_FAST) == 2
    assert score.recoveries[0].verdict is RecoveryVerdict.TOO_FAST
    assert score.summary.endswith("; 2 of 7 recoveries run too fast.")


def test_without_the_easy_pace_only_a_recovery_near_rep_pace_is_too_fast() -> None:
    laps = laps_for(EIGHT, [235.0] * 8)
    laps[2] = lap(800.0, 270.0)  # faster than easy, but far slower than the reps: a jog
    laps[4] = lap(900.0, 250.0)  # within 20 s/km of the reps' slow end: no recovery
    score = score_laps(EIGHT, laps)
    assert score is not None
    assert [r.verdict for r in score.recoveries[:2]] == [RecoveryVerdict.EASY, RecoveryVerdict.TOO_FAST]


def test_standing_still_is_a_recovery() -> None:
    w = session(5, MILE_M, (250.0, 256.0), 60.0, "T")
    laps = laps_for(w, [253.0] * 5)
    laps[2] = Lap(0.0, 0, 60)
    score = score_laps(w, laps, EASY)
    assert score is not None
    assert score.recoveries[0].verdict is RecoveryVerdict.EASY
    assert score.recoveries[0].pace is None


def test_a_tempo_block_is_one_sentence() -> None:
    tempo = session(1, 4000.0, (250.0, 256.0), 0.0, "T")
    inside = score_laps(tempo, [lap(2000, 330), lap(4000, 253), lap(2000, 330)], EASY)
    slow = score_laps(tempo, [lap(2000, 330), lap(4000, 262), lap(2000, 330)], EASY)
    assert inside is not None
    assert inside.summary == "The 4 km block ran inside 4:10–4:16/km."
    assert slow is not None
    assert slow.summary == "The 4 km block ran 6 s/km too slow (target 4:10–4:16/km)."


def test_a_workout_without_reps_has_no_score() -> None:
    easy = Workout("w20260505", DAY, WorkoutType.EASY, 8000.0, 2600.0, EASY, strides=6)
    assert score_laps(easy, [lap(4000, 320), lap(4000, 320)]) is None
    assert planned_reps(easy) == ()


def test_the_laps_of_two_runs_are_read_in_the_order_they_were_run() -> None:
    laps = laps_for(EIGHT, [235.0] * 8)
    warm_up = run(1, time(18, 0), laps[:1])
    main = run(2, time(18, 20), laps[1:])
    score = score_runs(EIGHT, [main, warm_up], EASY)  # given out of order
    assert score is not None
    assert score.inside == 8


def test_the_compliance_of_a_structured_session_carries_its_score() -> None:
    laps = laps_for(EIGHT, [235.0] * 6 + [223.0, 223.0])
    done = run(7, time(7, 0), laps)
    c = workout_compliance(EIGHT, [done], DAY, (7,), easy_pace=EASY)
    assert c.reps is not None
    assert c.reps.inside == 6
    easy = Workout("w20260506", date(2026, 5, 6), WorkoutType.EASY, 8000.0, 2600.0, EASY)
    assert workout_compliance(easy, [replace(done, id=8)], DAY, (8,)).reps is None
    missed = workout_compliance(EIGHT, [], date(2026, 5, 6))
    assert missed.status == "missed"
    assert missed.reps is None


def run(aid: int, at: time, laps: list[Lap]) -> Activity:
    return Activity(
        id=aid,
        athlete_id=1,
        sport_type="Run",
        start_local=datetime.combine(DAY, at),
        distance_m=sum(x.distance_m for x in laps),
        moving_time_s=sum(x.moving_time_s for x in laps),
        elapsed_time_s=sum(x.elapsed_time_s for x in laps),
        laps=tuple(laps),
    )


# --- properties -----------------------------------------------------------------------------------------


@st.composite
def structured(draw: st.DrawFn) -> tuple[Workout, tuple[float, float]]:
    """A structured session from the planner's own builders, and the athlete's easy range."""
    vdot = draw(st.floats(30, 75))
    ctx = SessionContext(training_paces(vdot), race_pace=training_paces(vdot).marathon)
    week_km = draw(st.floats(30, 120))
    work_m = draw(st.floats(2000, 12000))
    build = draw(st.sampled_from(["cruise", "tempo", "intervals", "repetitions", "race_pace"]))
    w = {
        "cruise": lambda: threshold(ctx, DAY, week_km, False, work_m),
        "tempo": lambda: threshold(ctx, DAY, week_km, True, work_m),
        "intervals": lambda: intervals(ctx, DAY, week_km, MILE_M, work_m),
        "repetitions": lambda: repetitions(ctx, DAY, week_km, work_m),
        "race_pace": lambda: race_pace(ctx, DAY, week_km, work_m),
    }[build]()
    if w is None:
        w = threshold(ctx, DAY, 120, True, 4000)
    assert w is not None
    assert w.reps
    return w, ctx.paces.easy


def whole_seconds_inside(metres: float, band: tuple[float, float]) -> list[int]:
    fast, slow = band
    return list(range(math.ceil(fast * metres / 1000), math.floor(slow * metres / 1000) + 1))


def executed(
    w: Workout, easy: tuple[float, float], rep_seconds: list[int], warm_up_pieces: int = 1
) -> list[Lap]:
    """Laps of ``w`` run with manual laps: the warm-up in ``warm_up_pieces`` laps, reps in ``rep_seconds``,
    each recovery jogged at the slow end of easy for its planned time."""
    rs = w.reps[0]
    piece = w.warmup_m / warm_up_pieces
    out = [lap(piece, easy[1]) for _ in range(warm_up_pieces)]
    for i, seconds in enumerate(rep_seconds):
        out.append(Lap(rs.distance_m, seconds, seconds))
        if i < rs.count - 1 and rs.recovery_s > 0:
            out.append(Lap(rs.recovery_s / easy[1] * 1000, round(rs.recovery_s), round(rs.recovery_s)))
    return [*out, lap(w.cooldown_m, easy[1])]


@settings(max_examples=EXAMPLES, **COMMON)
@given(structured(), st.data(), st.integers(1, 4))
def test_reps_run_on_target_all_score_inside(
    case: tuple[Workout, tuple[float, float]], data: st.DataObject, pieces: int
) -> None:
    w, easy = case
    rs = w.reps[0]
    seconds = [
        data.draw(st.sampled_from(whole_seconds_inside(rs.distance_m, rs.pace))) for _ in range(rs.count)
    ]
    score = score_laps(w, executed(w, easy, seconds, pieces), easy)
    assert score is not None
    assert score.outcome is ScoreOutcome.SCORED
    assert len(score.reps) == score.planned == rs.count
    assert all(r.verdict is RepVerdict.INSIDE for r in score.reps), score.summary
    assert all(r.verdict is RecoveryVerdict.EASY for r in score.recoveries)
    assert len(score.recoveries) == (rs.count - 1 if rs.recovery_s > 0 else 0)


@settings(max_examples=EXAMPLES, **COMMON)
@given(structured(), st.integers(2, 40))
def test_reps_run_slower_than_the_band_score_that_many_seconds_too_slow(
    case: tuple[Workout, tuple[float, float]], over: int
) -> None:
    w, easy = case
    rs = w.reps[0]
    seconds = math.ceil((rs.pace[1] + over) * rs.distance_m / 1000)  # whole seconds, at least `over` too slow
    score = score_laps(w, executed(w, easy, [seconds] * rs.count), easy)
    assert score is not None
    assert len(score.reps) == rs.count
    expected = round(seconds / (rs.distance_m / 1000) - rs.pace[1])
    assert all(r.verdict is RepVerdict.TOO_SLOW and r.off_s == expected for r in score.reps)
    assert f"{expected} s/km too slow" in score.summary


@settings(max_examples=EXAMPLES, **COMMON)
@given(structured(), st.floats(180, 480), st.sampled_from([1000.0, MILE_M]))
def test_automatic_laps_never_score(
    case: tuple[Workout, tuple[float, float]], pace: float, auto: float
) -> None:
    w, easy = case
    whole = int(w.distance_m // auto)
    laps = [lap(auto, pace) for _ in range(max(whole, 2))] + [lap(w.distance_m % auto or 300.0, pace)]
    score = score_laps(w, laps, easy)
    assert score is not None
    assert score.outcome is ScoreOutcome.AUTO_LAPS
    assert score.reps == ()


@settings(max_examples=EXAMPLES, **COMMON)
@given(structured(), st.data())
def test_every_rep_found_is_counted_once_in_the_sentence(
    case: tuple[Workout, tuple[float, float]], data: st.DataObject
) -> None:
    w, easy = case
    rs = w.reps[0]
    low, high = math.ceil(rs.pace[0] * rs.distance_m / 1000), math.floor(rs.pace[1] * rs.distance_m / 1000)
    spread = st.integers(low - 20, high + 20)
    seconds = [data.draw(spread) for _ in range(rs.count)]
    score = score_laps(w, executed(w, easy, seconds), easy)
    assert score is not None
    assert len(score.reps) == rs.count
    by_verdict = {v: sum(1 for r in score.reps if r.verdict is v) for v in RepVerdict}
    assert sum(by_verdict.values()) == rs.count
    assert by_verdict[RepVerdict.INSIDE] == score.inside
    if score.planned > 1:
        assert score.summary.startswith(
            f"All {rs.count} reps inside"
            if score.inside == rs.count
            else f"{score.inside} of {rs.count} reps"
        )
