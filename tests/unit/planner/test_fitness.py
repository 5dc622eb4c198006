"""Raising the working VDOT from races and sustained hard workouts (docs/science.md#raising-vdot)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Activity, Lap, Plan, adapt, generate_plan, race_time, training_paces, undo, vdot_from_race
from planner.fitness import (
    MARGIN,
    RATE_CAP,
    RATE_WINDOW_DAYS,
    WORKOUT_DISCOUNT,
    EvidenceKind,
    effort_evidence,
    race_evidence,
    vdot_from_threshold_pace,
)
from planner.plan import WorkoutType

from .helpers import START, athlete, follow, plan16, race_goal, run

WEEK = timedelta(days=7)
SAT_WEEK2 = START + timedelta(days=12)  # Saturday of the plan's second week
AS_OF = START + 3 * WEEK  # Monday after the third week


def race(aid: int, day: date, vdot: float, metres: float = 10_000.0) -> Activity:
    t = round(race_time(vdot, metres))
    return Activity(aid, 1, "Run", datetime.combine(day, time(9)), metres, t - 5, t, workout_type=1)


def tempo(aid: int, day: date, vdot: float, minutes: int = 25, *, glitch: bool = False) -> Activity:
    """2 km warm-up at easy pace, ``minutes`` at the T pace of ``vdot`` in 5-minute laps, 2 km cool-down."""
    easy = training_paces(45.0).easy[1]
    t_pace = training_paces(vdot).threshold
    laps = [Lap(2000.0, round(2 * easy), round(2 * easy))]
    for i in range(minutes // 5):
        m = 300_000.0 / t_pace
        laps.append(Lap(m * (2.0 if glitch and i == 2 else 1.0), 300, 300))
    laps.append(Lap(2000.0, round(2 * easy), round(2 * easy)))
    dist = sum(x.distance_m for x in laps)
    moving = sum(x.moving_time_s for x in laps)
    return Activity(
        aid, 1, "Run", datetime.combine(day, time(18)), dist, moving, moving + 20, laps=tuple(laps)
    )


def adapted(plan: Plan, extra: list[Activity], as_of: date = AS_OF) -> tuple[Plan, list[Activity]]:
    return follow(plan, as_of, extra=extra)


def fitness_changes(plan: Plan) -> list[str]:
    return [c.id for c in plan.changes if c.code == "fitness_up"]


def test_threshold_pace_inversion_is_exact() -> None:
    for v in (30.0, 45.0, 61.3, 80.0):
        assert vdot_from_threshold_pace(training_paces(v).threshold) == pytest.approx(v, abs=1e-6)


def test_a_race_faster_than_predicted_raises_vdot_by_a_bounded_amount_with_a_plain_reason() -> None:
    plan, _ = adapted(plan16(), [race(900, SAT_WEEK2, 48.0)])
    assert plan.vdot == pytest.approx(47.0)  # 45 + the 2-point cap, below 48 − 0.5
    [change] = [c for c in plan.changes if c.code == "fitness_up"]
    t = race_time(48.0, 10_000)
    clock = f"{round(t) // 60}:{round(t) % 60:02d}"
    assert f"10 km race on Sat 14 Mar in {clock}" in change.reason
    assert "47.0 instead of 45.0" in change.reason
    t_new, t_old = (round(training_paces(v).threshold) for v in (47.0, 45.0))
    assert f"threshold {t_new // 60}:{t_new % 60:02d}/km instead of {t_old // 60}:{t_old % 60:02d}/km" in (
        change.reason
    )
    assert "fitness_up" not in change.reason
    assert "science" not in change.reason


def test_a_race_a_little_faster_raises_only_to_the_evidence_minus_the_margin() -> None:
    plan, _ = adapted(plan16(), [race(900, SAT_WEEK2, 46.2)])
    assert plan.vdot == pytest.approx(46.2 - MARGIN, abs=0.01)


@pytest.mark.parametrize("vdot", [44.0, 45.3])
def test_a_slower_or_equal_race_does_not_raise_it(vdot: float) -> None:
    plan, _ = adapted(plan16(), [race(900, SAT_WEEK2, vdot)])
    assert plan.vdot == pytest.approx(45.0)
    assert fitness_changes(plan) == []


def test_an_easy_run_never_raises_it() -> None:
    e_fast = training_paces(45.0).easy[0]
    t48 = training_paces(48.0).threshold
    easy = run(900, SAT_WEEK2, 12.0, e_fast)  # an hour at the fast end of easy, no laps, no heart rate
    # quick, but the heart rate says easy: 65 % of max over the whole run
    brisk = run(901, SAT_WEEK2 - timedelta(days=2), 8.0, t48, hr=120.0)
    plan = plan16(max_hr=185.0)
    out, _ = adapted(plan, [easy, brisk])
    assert out.vdot == pytest.approx(45.0)
    assert fitness_changes(out) == []
    assert effort_evidence(brisk, 45.0, 185.0) is None
    # the same run at 90 % of max heart rate is a hard effort (the gate is the heart rate, not the pace)
    hard = run(902, SAT_WEEK2, 8.0, t48, hr=167.0)
    ev = effort_evidence(hard, 45.0, 185.0)
    assert ev is not None
    assert ev.kind is EvidenceKind.EFFORT
    assert ev.vdot == pytest.approx(48.0, abs=0.1)


def test_a_25_minute_tempo_implying_3_more_raises_it_by_at_most_the_cap() -> None:
    plan, _ = adapted(plan16(), [tempo(900, SAT_WEEK2 - timedelta(days=3), 48.0)])
    [change] = [c for c in plan.changes if c.code == "fitness_up"]
    assert 45.0 < plan.vdot <= 45.0 + RATE_CAP
    # a workout counts one point less than a race and the margin applies: 48 − 1 − 0.5
    assert plan.vdot == pytest.approx(48.0 - WORKOUT_DISCOUNT - MARGIN, abs=0.05)
    assert "25 minutes hard at" in change.reason


def test_a_tempo_implying_much_more_is_held_to_the_cap() -> None:
    plan, _ = adapted(plan16(), [tempo(900, SAT_WEEK2 - timedelta(days=3), 50.5)])
    assert plan.vdot == pytest.approx(45.0 + RATE_CAP)


def test_two_races_a_week_apart_do_not_raise_it_twice_past_the_4_week_cap() -> None:
    races = [race(900, SAT_WEEK2, 49.0), race(901, SAT_WEEK2 + WEEK, 50.0)]
    plan = plan16()
    after_first, acts = adapted(plan, races, START + 2 * WEEK)
    assert after_first.vdot == pytest.approx(47.0)
    within, _ = adapted(plan, races, START + 5 * WEEK)  # 3 weeks after the first raise
    assert within.vdot == pytest.approx(47.0)
    assert len(fitness_changes(within)) == 1
    # 4 weeks after the first raise the same evidence may raise it again, still under 50 − 0.5
    later, _ = adapted(plan, races, START + 6 * WEEK)
    assert 47.0 < later.vdot <= 49.5


def test_a_downhill_or_glitch_split_does_not_count() -> None:
    glitchy = tempo(900, SAT_WEEK2 - timedelta(days=3), 47.0, glitch=True)  # one lap at twice the speed
    assert effort_evidence(glitchy, 45.0, None) is None
    plan, _ = adapted(plan16(), [glitchy])
    assert fitness_changes(plan) == []
    # laps that do not add up to the run (distance and time disagree): not believed either
    good = tempo(901, SAT_WEEK2 - timedelta(days=3), 48.0)
    assert effort_evidence(good, 45.0, None) is not None
    off = Activity(
        good.id,
        1,
        "Run",
        good.start_local,
        good.distance_m * 1.3,
        good.moving_time_s,
        good.elapsed_time_s,
        laps=good.laps,
    )
    assert effort_evidence(off, 45.0, None) is None
    # a "race" far beyond the working VDOT (a short course, a mismeasured route) is not believed
    assert race_evidence(race(902, SAT_WEEK2, 60.0), 45.0) is None
    assert race_evidence(race(903, SAT_WEEK2, 48.0, metres=1000.0), 45.0) is None  # too short


def test_paces_before_the_change_are_untouched_and_later_ones_follow_the_new_vdot() -> None:
    plan = plan16()
    monday = START + 2 * WEEK  # the race's week (the plan's second) is complete from this day
    before, acts = adapted(plan, [race(900, SAT_WEEK2, 48.0)], monday - timedelta(days=1))
    assert before.vdot == pytest.approx(45.0)
    after = adapt(before, acts, monday).plan
    assert after.vdot == pytest.approx(47.0)
    assert {w.id: w for w in after.workouts() if w.date < monday} == {
        w.id: w for w in before.workouts() if w.date < monday
    }
    paces = training_paces(47.0)
    later = [w for w in after.workouts() if w.date >= monday]
    easy = [w for w in later if w.type is WorkoutType.EASY]
    assert easy
    assert all(w.pace == pytest.approx(paces.easy, abs=0.2) for w in easy)
    tempos = [w for w in later if w.type is WorkoutType.THRESHOLD]
    assert tempos
    # a T session's pace is a few seconds either side of T pace: the new one, no longer the old one
    old_t = training_paces(45.0).threshold
    assert all(w.pace[0] <= paces.threshold <= w.pace[1] < old_t for w in tempos)


def test_no_raise_while_a_return_after_a_break_is_in_progress() -> None:
    plan = plan16()
    # 12 days without running in weeks 2–3, then a race on the first weekend back
    skip = [START + timedelta(days=d) for d in range(7, 19)]
    back_race = race(900, START + timedelta(days=19), 48.0)
    out, _ = follow(plan, START + 4 * WEEK, skip=skip, extra=[back_race])
    assert any(c.code == "return_after_break" for c in out.changes)
    assert fitness_changes(out) == []
    assert out.vdot < 45.0


def test_an_undone_raise_is_not_made_again_from_the_same_race() -> None:
    plan, acts = adapted(plan16(), [race(900, SAT_WEEK2, 48.0)])
    [cid] = fitness_changes(plan)
    assert cid == "fitness_up@2026-03-09"
    undone = undo(plan, cid, acts, AS_OF).plan
    # the third week, also completed, still has the race in its 6-week window: it must not raise again from it
    assert undone.vdot == pytest.approx(45.0)
    assert fitness_changes(undone) == []
    assert cid in undone.suppressed


# --- property: never above the evidence, never faster than the cap -------------------------------------------


@st.composite
def evidence_histories(draw: st.DrawFn) -> tuple[Plan, list[Activity], list[float]]:
    vdot = draw(st.floats(35.0, 60.0))
    plan = generate_plan(athlete(vdot=vdot), race_goal(), START)
    acts: list[Activity] = []
    shown: list[float] = []
    for i in range(draw(st.integers(1, 5))):
        day = START + timedelta(days=draw(st.integers(0, 69)))
        level = vdot + draw(st.floats(-3.0, 8.0))
        if draw(st.booleans()):
            r = race(900 + i, day, level, metres=draw(st.sampled_from([3000.0, 5000.0, 10_000.0])))
            acts.append(r)
            shown.append(vdot_from_race(r.distance_m, r.elapsed_time_s))  # the clock rounds to whole seconds
        else:
            acts.append(tempo(900 + i, day, level, minutes=draw(st.sampled_from([20, 25, 30]))))
            shown.append(level - WORKOUT_DISCOUNT)
    return plan, acts, shown


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evidence_histories())
def test_working_vdot_never_exceeds_the_evidence_nor_rises_faster_than_the_cap(history) -> None:  # type: ignore[no-untyped-def]
    plan, evidence, shown = history
    # an athlete who runs the plan every week, with the races and tempos above on top
    _, acts = follow(plan, START + 11 * WEEK, extra=evidence)
    series = [(START + k * WEEK, adapt(plan, acts, START + k * WEEK).plan) for k in range(12)]
    for _, p in series:
        # never above what the best run showed (less the margin), nor above the start without evidence
        assert p.vdot <= max(plan.vdot, max(shown) - MARGIN) + 1e-6
    for d1, p1 in series:
        for d2, p2 in series:
            if d1 < d2 <= d1 + timedelta(days=RATE_WINDOW_DAYS):
                assert p2.vdot - p1.vdot <= RATE_CAP + 1e-9
    raised = [c for c in series[-1][1].changes if c.code == "fitness_up"]
    assert all("instead of" in c.reason for c in raised)
