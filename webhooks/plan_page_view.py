"""What the athlete's plan page shows, built from the plan API's own read model (`plans.views.plan_detail`, the
body of `GET /api/v1/athletes/{id}/plan`) so the page and the API can never disagree.

Everything here is text and geometry for the templates (webhooks/templates/plan_page*.html). Every phrase comes
from the message catalogue (messages/: the workout texts, the reasons of the changes rendered from their facts,
and messages/templates/plan_page.txt for the page's own phrases), in the athlete's units and timezone; never a
change's internal code, a file or a section name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import planner
from messages import Audience, catalogue, reasons, vocabulary, workouts
from messages import reps as rep_words

PAGE = "plan_page"  # messages/templates/plan_page.txt


def phrase(audience: Audience, block: str, **context: Any) -> str:
    """One of the page's phrases, on one line."""
    return " ".join(catalogue.render_blocks(PAGE, audience, (block,), **context)[block].split())


@dataclass(frozen=True)
class RunShown:
    text: str  # "Tue 24 Nov: 8.1 km in 45 min, 5:30/km"


@dataclass(frozen=True)
class WorkoutShown:
    id: str
    date: str  # ISO, for the markup
    day: str  # "Mon 7 Dec"
    name: str
    target: str  # "8 km · about 48 min"
    pace: str  # "5:30–6:00/km"
    details: tuple[str, ...]
    moved_from: str | None
    status: str  # planned | completed | missed | rest
    status_text: str
    colour: str | None
    runs: tuple[RunShown, ...]
    # A structured session's reps as read from the laps (docs/workouts.md#rep-scoring).
    reps: str | None = None


@dataclass(frozen=True)
class MiniBars:
    """One week's planned and done distance as two horizontal bars on a 0..100 scale."""

    planned_w: float
    done_w: float


@dataclass(frozen=True)
class WeekShown:
    index: int
    start: str  # ISO Monday
    title: str  # "Week 3 · 7 – 13 Dec"
    phase: str
    volume: str  # "Planned 40 km, done 31.2 km"
    planned: str  # "40 km"
    done: str
    current: bool
    workouts: tuple[WorkoutShown, ...]
    reasons: tuple[str, ...]
    bar: MiniBars


@dataclass(frozen=True)
class ChangeShown:
    week: str
    headline: str
    reason: str
    state: str


@dataclass(frozen=True)
class Bar:
    label: str  # the week number under the bar
    x: float
    planned_y: float
    planned_h: float
    done_y: float
    done_h: float
    current: bool


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    baseline: float
    bar_width: float
    top: str  # the scale's label: "40 km"
    title: str
    unit: str  # "km" or "mi"
    bars: tuple[Bar, ...]
    summary: str  # the chart in words, for screen readers


@dataclass(frozen=True)
class Page:
    title: str
    goal: str
    today: str
    paused: str | None
    soon: tuple[WeekShown, ...]  # this week and the next
    later: tuple[WeekShown, ...]  # the weeks after those, collapsed on the page
    later_summary: str
    past: tuple[WeekShown, ...]  # most recent first, collapsed
    past_summary: str
    changes: tuple[ChangeShown, ...]
    chart: Chart
    workout_file: str  # the label of each coming workout's FIT file link (webhooks/workout_files.py)


# --- workouts -------------------------------------------------------------------------------------------


def run_shown(audience: Audience, run: planner.Activity) -> RunShown:
    pace = run.moving_time_s / (run.distance_m / 1000) if run.distance_m > 0 else None
    return RunShown(phrase(audience, "run", run=run, run_pace=pace))


def status_text(w: Mapping[str, Any]) -> str:
    if w["status"] == "completed":
        return vocabulary.DONE_WORDS.get(w.get("colour") or "", "Done")
    return vocabulary.STATUS_WORDS.get(w["status"], "Coming up")


def workout_shown(
    audience: Audience, w: Mapping[str, Any], runs: Mapping[int, planner.Activity]
) -> WorkoutShown:
    text = workouts.describe(audience, w)
    moved = w.get("moved_from")
    return WorkoutShown(
        id=w["id"],
        date=w["date"],
        day=audience.day(w["date"]),
        name=text.name,
        target=text.target,
        pace=text.pace,
        details=text.lines,
        moved_from=audience.day(moved) if moved else None,
        status=w["status"],
        status_text=status_text(w),
        colour=w.get("colour"),
        runs=tuple(run_shown(audience, runs[i]) for i in w.get("activity_ids", ()) if i in runs),
        reps=rep_words.describe(audience, w["rep_score"]).text() if w.get("rep_score") else None,
    )


# --- weeks, changes, chart ------------------------------------------------------------------------------


def week_shown(
    audience: Audience,
    week: Mapping[str, Any],
    today: date,
    runs: Mapping[int, planner.Activity],
    reasons_by_id: Mapping[str, str],
    top: float,
) -> WeekShown:
    start = date.fromisoformat(week["start"])
    planned_m, done_m = week["planned_km"] * 1000, week["done_km"] * 1000
    return WeekShown(
        index=week["index"],
        start=week["start"],
        title=phrase(
            audience, "week_title", week_index=week["index"], week_start=start, week_end=start + timedelta(6)
        ),
        phase=vocabulary.PHASE_NAMES.get(week["phase"], ""),
        volume=phrase(audience, "week_volume", planned_m=planned_m, done_m=done_m),
        planned=audience.distance(planned_m),
        done=audience.distance(done_m),
        current=start <= today <= start + timedelta(days=6),
        workouts=tuple(workout_shown(audience, w, runs) for w in week["workouts"]),
        reasons=tuple(dict.fromkeys(reasons_by_id[c] for c in week["changes"] if c in reasons_by_id)),
        bar=MiniBars(
            planned_w=round(100 * week["planned_km"] / top, 1) if top else 0.0,
            done_w=round(100 * min(week["done_km"], top) / top, 1) if top else 0.0,
        ),
    )


def as_change(change: Mapping[str, Any], facts: Mapping[str, Any]) -> planner.Change:
    """The planner's change behind a decision of the API, with the facts its reason is rendered from (those of
    the decision itself when the API gives them, else those of the current plan's change with that id)."""
    return planner.Change(
        id=change["id"],
        code=change["code"],
        week_start=date.fromisoformat(change["week_start"]),
        reason=change["reason"],
        facts=change.get("facts") or facts.get(change["id"], {}),
    )


def change_shown(audience: Audience, change: planner.Change, row: Mapping[str, Any]) -> ChangeShown:
    said = reasons.change_message(audience, change)
    state = phrase(audience, "change_state", status=row.get("status", ""), active=bool(row.get("active")))
    week = phrase(audience, "change_week", week_start=change.week_start)
    return ChangeShown(week=week, headline=said.headline, reason=said.body, state=state)


CHART_HEIGHT = 170.0
CHART_TOP = 26.0  # room for the scale's label
CHART_BOTTOM = 22.0  # room for the week numbers
BAR_STEP = 30.0  # per week, at least
MAX_BAR_STEP = 60.0
CHART_MIN_WIDTH = 360.0  # a short plan keeps the text at its size instead of being scaled up to the width


def chart(audience: Audience, weeks: Sequence[Mapping[str, Any]], today: date) -> Chart:
    unit_km = audience.unit_metres / 1000  # the scale runs in the athlete's unit
    top_units = max([1.0, *(max(w["planned_km"], w["done_km"]) / unit_km for w in weeks)])
    nice_top = int(-(-top_units // 10) * 10)  # up to the next 10 km (or miles)
    baseline = CHART_HEIGHT - CHART_BOTTOM
    scale = (baseline - CHART_TOP) / nice_top
    step = min(MAX_BAR_STEP, max(BAR_STEP, (CHART_MIN_WIDTH - 8) / max(len(weeks), 1)))
    bars = []
    for i, w in enumerate(weeks):
        start = date.fromisoformat(w["start"])
        planned_h, done_h = w["planned_km"] / unit_km * scale, w["done_km"] / unit_km * scale
        bars.append(
            Bar(
                label=str(w["index"] + 1),
                x=round(8 + i * step, 1),
                planned_y=round(baseline - planned_h, 1),
                planned_h=round(planned_h, 1),
                done_y=round(baseline - done_h, 1),
                done_h=round(done_h, 1),
                current=start <= today <= start + timedelta(days=6),
            )
        )
    top_m = nice_top * audience.unit_metres
    done_weeks = [w for w in weeks if date.fromisoformat(w["start"]) <= today]
    return Chart(
        width=max(CHART_MIN_WIDTH, round(8 + len(weeks) * step, 1)),
        height=CHART_HEIGHT,
        baseline=baseline,
        bar_width=min(40.0, step - 10),
        top=phrase(audience, "chart_top", top_m=top_m),
        title=phrase(audience, "chart_title"),
        unit=audience.unit,
        bars=tuple(bars),
        summary=phrase(audience, "chart_summary", weeks=weeks, top_m=top_m, done_weeks=done_weeks),
    )


def page(detail: Mapping[str, Any], activities: Iterable[planner.Activity], audience: Audience) -> Page:
    """The page from `plans.views.plan_detail` (the plan API's body) and the runs the plan was judged on, in the
    athlete's units (`audience`)."""
    today = date.fromisoformat(detail["today"])
    runs = {a.id: a for a in activities}
    facts = {c["id"]: c.get("facts", {}) for c in detail.get("plan", {}).get("changes", ())}
    changes = [(as_change(c, facts), c) for c in detail["changes"]]
    reasons_by_id = {c.id: reasons.change_message(audience, c).body for c, row in changes if row["active"]}
    top = max([1.0, *(max(w["planned_km"], w["done_km"]) for w in detail["weeks"])])
    weeks = [week_shown(audience, w, today, runs, reasons_by_id, top) for w in detail["weeks"]]
    paused = detail.get("paused_until")
    coming = [w for w in weeks if date.fromisoformat(w.start) + timedelta(days=6) >= today]
    past = tuple(reversed([w for w in weeks if date.fromisoformat(w.start) + timedelta(days=6) < today]))
    return Page(
        title=phrase(audience, "title"),
        goal=phrase(
            audience, "goal", goal={**detail["goal"], "date": date.fromisoformat(detail["goal"]["date"])}
        ),
        today=audience.long_day(today),
        paused=phrase(audience, "paused", paused_until=paused) if paused else None,
        soon=tuple(coming[:2]),
        later=tuple(coming[2:]),
        later_summary=phrase(audience, "later_weeks", count=len(coming[2:])),
        workout_file=phrase(audience, "workout_file"),
        past=past,
        past_summary=phrase(audience, "past_weeks", count=len(past)),
        changes=tuple(change_shown(audience, c, row) for c, row in changes),
        chart=chart(audience, detail["weeks"], today),
    )
