"""Change ids are stable for the same cause (docs/planner.md#adaptation): plans/decisions.py keys a decision by the
planner's change id ("code@week-start"), so an id that moved as more runs arrive would withdraw a decision and
make another for the same cause. A break is keyed by the week it began, however many weeks it runs into; every
other change by the week whose runs caused it. Checked on seasons fed day by day, as a worker adapts on every
sync."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest

from planner import Activity, Plan, adapt, generate_plan, undo
from planner.scorecard import PATTERNS, START, Tally, behaviour_for, check_ids, profile
from planner.synthetic import Simulation, SimWeek, simulate

from .helpers import START as PLAN16_START
from .helpers import follow, plan16

SEED = 7  # not the scorecard's seed: these athletes are not the ones the scorecard reports on
BREAK = "return_after_break"


def week_monday(i: int) -> date:
    return PLAN16_START + timedelta(weeks=i)


def fed_daily(plan: Plan, acts: Sequence[Activity], first: date, last: date) -> list[Plan]:
    """The plan adapted on every day from ``first`` to ``last`` with every run up to that day, in order."""
    out = []
    day = first
    while day <= last:
        plan = adapt(plan, acts, day).plan
        out.append(plan)
        day += timedelta(days=1)
    return out


def breaks_of(plan: Plan) -> dict[str, str]:
    """Each return-after-break change's id by the first day of its break."""
    return {str(c.facts["first_day_off_date"]): c.id for c in plan.changes if c.code == BREAK}


def test_a_break_into_the_next_week_stays_one_change() -> None:
    base = plan16()
    tuesday = week_monday(2) + timedelta(days=1)
    off = [tuesday + timedelta(days=i) for i in range(13)]  # Tuesday of week 2 to Sunday of week 3
    plan, acts = follow(base, week_monday(5), skip=off)
    daily = fed_daily(base, acts, week_monday(0), week_monday(5))
    key = f"{BREAK}@{week_monday(2).isoformat()}"
    after_first_week = daily[(week_monday(3) - week_monday(0)).days]
    assert breaks_of(after_first_week) == {tuesday.isoformat(): key}
    assert next(c for c in after_first_week.changes if c.id == key).facts["days_off"] == 6
    final = daily[-1]
    assert breaks_of(final) == {tuesday.isoformat(): key}, "one break, one change, keyed by its first week"
    change = next(c for c in final.changes if c.id == key)
    assert int(change.facts["days_off"]) >= 13  # the same decision, revised as the break grew
    assert change.week_start == week_monday(2)
    assert all(d.before != d.after and d.after.date >= week_monday(3) for d in change.workouts)


def test_undoing_a_breaks_return_undoes_it_for_the_whole_break() -> None:
    base = plan16()
    tuesday = week_monday(2) + timedelta(days=1)
    plan, acts = follow(base, week_monday(4), skip=[tuesday + timedelta(days=i) for i in range(13)])
    key = f"{BREAK}@{week_monday(2).isoformat()}"
    undone = undo(plan, key, acts, week_monday(4)).plan
    assert BREAK not in {c.code for c in undone.changes}  # not answered again a week later under another id
    assert adapt(undone, acts, week_monday(4) + timedelta(days=1)).plan.suppressed == frozenset({key})


def season(number: int) -> tuple[Plan, list[Activity]]:
    """One synthetic athlete's generated plan and the runs of their whole season (the scorecard's simulation)."""
    p = profile(number, SEED)
    base = generate_plan(p.athlete, p.goal, START)
    behaviour, extra = behaviour_for(p, base)
    sim = simulate(base, base.weeks[-1].end + timedelta(days=1), behaviour, extra)
    return base, sim.activities


def safe_athletes(per_pattern: int) -> list[int]:
    """Cohort numbers, ``per_pattern`` for each deviation pattern with goals in rotation, whose goal is not
    flagged unsafe (an unsafe plan is never installed, so never adapted). Number n has pattern
    PATTERNS[n // 6 % 10] and goal n % 6: n + 60 keeps both."""
    out = []
    for k in range(len(PATTERNS)):
        for j in range(per_pattern):
            n = 6 * k + (k + 3 * j) % 6
            while generate_plan(profile(n, SEED).athlete, profile(n, SEED).goal, START).unsafe:
                n += 60
            out.append(n)
    return out


@pytest.mark.parametrize("number", safe_athletes(per_pattern=2))
def test_a_change_id_once_made_is_never_dropped_as_runs_arrive(number: int) -> None:
    base, acts = season(number)
    made: dict[str, date] = {}
    cause: dict[str, str] = {}  # a break's first day off → its change id
    for plan in fed_daily(base, acts, base.start, base.weeks[-1].end + timedelta(days=1)):
        day = plan.as_of
        assert day is not None
        ids = {c.id for c in plan.changes}
        dropped = sorted(i for i in made if i not in ids)
        assert not dropped, f"{profile(number, SEED).describe()} on {day}: {dropped} withdrawn"
        made.update({i: day for i in ids if i not in made})
        for first_off, change_id in breaks_of(plan).items():
            assert cause.setdefault(first_off, change_id) == change_id, (day, first_off, change_id)
            monday = max(date.fromisoformat(first_off), base.start)
            assert change_id == f"{BREAK}@{(monday - timedelta(days=monday.weekday())).isoformat()}"
        # every change is keyed by a week that has begun: its cause is in the past, never in the future
        assert all(c.week_start <= day for c in plan.changes), day


def test_the_scorecard_catches_an_id_that_moves_and_a_break_answered_twice() -> None:
    base = plan16()
    tuesday = week_monday(2) + timedelta(days=1)
    plan, acts = follow(base, week_monday(4), skip=[tuesday + timedelta(days=i) for i in range(13)])
    kept = Simulation(plan, activities=acts, weeks=[SimWeek(3, week_monday(3), plan, 0.0, 0.0)])
    t = Tally()
    check_ids(profile(0, SEED), kept, t)
    assert t.checked["change_id_stable"] == 2
    assert t.violated["change_id_stable"] == 0
    # the old keying: the same break answered again under the next week's id, the first answer dropped
    change = next(c for c in plan.changes if c.code == BREAK)
    moved = replace(change, id=f"{BREAK}@{week_monday(3).isoformat()}", week_start=week_monday(3))
    later = replace(plan, changes=(*plan.changes, moved))
    t = Tally()
    check_ids(
        profile(0, SEED),
        Simulation(later, activities=acts, weeks=[SimWeek(3, week_monday(3), plan, 0.0, 0.0)]),
        t,
    )
    assert t.violated["change_id_stable"] == 1  # two changes for one break
    dropped = replace(plan, changes=tuple(c for c in plan.changes if c.code != BREAK))
    t = Tally()
    check_ids(
        profile(0, SEED),
        Simulation(dropped, activities=acts, weeks=[SimWeek(3, week_monday(3), plan, 0.0, 0.0)]),
        t,
    )
    assert t.violated["change_id_stable"] == 1  # a decision gone a week later
