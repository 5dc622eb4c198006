"""A worker task leaves no planner memo behind: the next task loads its runs afresh, so the tables would only hold
memory (README "Performance")."""

from __future__ import annotations

from datetime import timedelta

from celery import signals

import planner
from planner.synthetic import simulate
from tests.unit.planner.helpers import START, athlete, race_goal


def test_the_planner_memo_tables_are_emptied_when_a_task_finishes() -> None:
    import workers.celery_app  # noqa: F401 - connects the signal handlers

    plan = planner.generate_plan(athlete(), race_goal(weeks=8), START)
    simulate(plan, START + timedelta(weeks=4))  # adapts every Monday: scores runs, renders weeks
    assert planner.forget_memos() > 0, "the example needs adaptation to fill the tables"

    simulate(plan, START + timedelta(weeks=4))
    signals.task_postrun.send(sender=None, task_id=None, task=None, state="SUCCESS", retval=None)

    assert planner.forget_memos() == 0
