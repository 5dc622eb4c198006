"""The speed guard reads rep scores (docs/science.md#speed-budget, docs/workouts.md#rep-scoring): a structured
session with more than half of its scored reps too fast, or more than half of its recoveries run too fast, is a
run harder than planned, like an easy run run too fast; two of them in a week earn the level-1 response even when
the week's minutes at speed stay within budget. Sessions whose reps cannot be scored count by their minutes only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from planner import Activity, Plan, Workout, adapt, training_paces
from planner.adapt import overdone_session
from planner.plan import RepSet
from planner.rep_scoring import score_runs

from .helpers import START, as_planned, follow, plan16, run

WEEK = 11  # an intervals week of the 16-week half-marathon plan: intervals on Tuesday, race pace on Thursday
RepPace = Callable[[int, RepSet], float]  # (rep number from 0, its set) -> pace, s/km


def week_start(i: int) -> date:
    return START + timedelta(weeks=i)


def mid(r: RepSet) -> float:
    return (r.pace[0] + r.pace[1]) / 2


def session_run(aid: int, w: Workout, rep_pace: RepPace, recovery_pace: float, easy: float) -> Activity:
    """``w`` run with device laps: warm-up, each rep at ``rep_pace``, each recovery jog at ``recovery_pace``."""
    laps = [(w.warmup_m, easy)]
    n = 0
    for r in w.reps:
        for i in range(r.count):
            laps.append((r.distance_m, rep_pace(n, r)))
            n += 1
            if i < r.count - 1 and r.recovery_s > 0:
                laps.append((r.recovery_s / recovery_pace * 1000, recovery_pace))
    laps.append((w.cooldown_m, easy))
    return run(aid, w.date, 0.0, laps=laps)


def judged(
    rep_pace: Callable[[Workout], RepPace | None],
    recovery: Callable[[Workout, float], float] = lambda w, easy: easy * 1.1,
    extra: Callable[[Plan], list[Activity]] = lambda plan: [],
) -> tuple[Plan, list[Activity]]:
    """The plan adapted after WEEK, whose easy runs were run as planned and whose quality sessions were lapped
    with ``rep_pace(workout)`` (None: run as one lap, not scorable) and recoveries at ``recovery``."""
    plan, acts = follow(plan16(), week_start(WEEK))
    easy = sum(training_paces(plan.vdot).easy) / 2
    done = []
    for i, w in enumerate(x for x in plan.weeks[WEEK].workouts if x.is_run):
        aid = 50_000 + i
        pace = rep_pace(w) if w.is_quality else None
        if w.is_quality and pace is None:
            done.append(run(aid, w.date, w.distance_m / 1000, w.duration_s / (w.distance_m / 1000)))
        elif pace is not None:
            done.append(session_run(aid, w, pace, recovery(w, easy), easy))
        else:
            done.append(as_planned(w, aid, plan))
    acts = [*acts, *done, *extra(plan)]
    return adapt(plan, acts, week_start(WEEK + 1)).plan, acts


def speed_change(plan: Plan):  # type: ignore[no-untyped-def]
    return next(
        (c for c in plan.changes if c.id == f"intensity_reduced@{week_start(WEEK).isoformat()}"), None
    )


def too_fast(seconds: float) -> RepPace:
    return lambda n, r: r.pace[0] - seconds


def inside(n: int, r: RepSet) -> float:
    return mid(r)


def by_day(tuesday: RepPace, thursday: RepPace) -> Callable[[Workout], RepPace]:
    """Tuesday's session (the intervals) at one pace, Thursday's (the race-pace block) at another."""
    return lambda w: tuesday if w.date.weekday() == 1 else thursday


def test_two_sessions_with_their_reps_too_fast_earn_the_level_one_response() -> None:
    plan, _ = judged(by_day(too_fast(6), too_fast(6)))
    change = speed_change(plan)
    assert change is not None, "two overcooked sessions must be answered even within the minutes' budget"
    assert change.facts["speed_s"] <= change.facts["budget_s"]  # the minutes alone would not have fired
    assert change.facts["overdone_sessions"] == 2
    assert change.facts["level"] == 1
    assert "the intervals session on Tue" in change.reason
    assert "6 s/km too fast" in change.reason
    assert change.reason.startswith("Last week, 2 runs were harder than planned")


def test_sessions_run_inside_their_bands_change_nothing() -> None:
    plan, _ = judged(by_day(inside, inside))
    assert speed_change(plan) is None


def test_one_overcooked_session_alone_is_no_pattern() -> None:
    plan, _ = judged(by_day(too_fast(8), inside))
    assert speed_change(plan) is None


def test_half_the_reps_too_fast_is_not_overdone_but_more_than_half_is() -> None:
    plan, _ = follow(plan16(), week_start(WEEK))
    easy = sum(training_paces(plan.vdot).easy) / 2
    session = next(w for w in plan.weeks[WEEK].workouts if w.type.value == "intervals")
    count = sum(r.count for r in session.reps)
    assert count >= 2, "the example needs a session of several reps"
    for fast in range(count + 1):

        def pace(n: int, r: RepSet, fast: int = fast) -> float:
            return r.pace[0] - 6 if n < fast else mid(r)

        score = score_runs(
            session, [session_run(1, session, pace, easy * 1.1, easy)], training_paces(plan.vdot).easy
        )
        assert score is not None
        assert len(score.reps) == count
        assert overdone_session(score) == (2 * fast > count), fast


def test_recoveries_run_too_fast_make_a_session_overdone() -> None:
    # Tuesday's intervals inside their band but every jog at marathon pace, Thursday's race-pace block too fast
    marathon = training_paces(45.0).marathon  # the plan's VDOT: far faster than any easy pace
    plan, _ = judged(
        by_day(inside, too_fast(6)), recovery=lambda w, easy: marathon if w.date.weekday() == 1 else easy
    )
    change = speed_change(plan)
    assert change is not None
    assert change.facts["overdone_sessions"] == 2
    assert "recoveries run too fast" in change.reason
    intervals = next(w for w in plan.weeks[WEEK].workouts if w.date.weekday() == 1)
    easy = training_paces(plan.vdot).easy
    jogged = session_run(1, intervals, inside, sum(easy) / 2 * 1.1, sum(easy) / 2)
    raced = session_run(1, intervals, inside, marathon, sum(easy) / 2)
    assert not overdone_session(score_runs(intervals, [jogged], easy))
    assert overdone_session(score_runs(intervals, [raced], easy))


def test_an_overcooked_session_and_a_fast_easy_run_are_two_runs_harder_than_planned() -> None:
    def fast_easy(plan: Plan) -> list[Activity]:
        # a second run on Friday: 2 km of its 6 at marathon pace, too fast for an easy run, not for the week
        paces = training_paces(plan.vdot)
        friday = next(w for w in plan.weeks[WEEK].workouts if w.date.weekday() == 4)
        return [run(60_000, friday.date, 0.0, laps=[(2000, paces.marathon), (4000, sum(paces.easy) / 2)])]

    plan, _ = judged(by_day(too_fast(8), inside), extra=fast_easy)
    change = speed_change(plan)
    assert change is not None
    assert change.facts["overdone_sessions"] == 1
    assert change.facts["fast_easy_runs"] == 1
    assert change.reason.startswith("Last week, 2 runs were harder than planned")


def test_sessions_that_cannot_be_scored_count_by_their_minutes_only() -> None:
    plan, _ = judged(lambda w: None)  # both sessions recorded as one lap: no reps to read
    assert speed_change(plan) is None
