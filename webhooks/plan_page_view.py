"""What the athlete's plan page shows, built from the plan API's own read model (`plans.views.plan_detail`, the
body of `GET /api/v1/athletes/{id}/plan`) so the page and the API can never disagree.

Everything here is text and geometry for the templates (webhooks/templates/plan_page*.html): plain words for
the athlete, never a change's internal code, a file or a section name. Distances and paces are metric: the
athlete has no units preference stored yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import planner

WORKOUT_NAMES = {
    "rest": "Rest day",
    "easy": "Easy run",
    "recovery": "Recovery run",
    "long": "Long run",
    "threshold": "Tempo run",
    "intervals": "Intervals",
    "repetitions": "Fast repetitions",
    "race_pace": "Race-pace run",
    "race": "Race",
}
PHASE_NAMES = {
    "base": "Base building",
    "threshold": "Tempo block",
    "intervals": "Speed block",
    "taper": "Taper",
    "recovery": "Recovery",
    "maintenance": "Keeping fit",
}
# The planner labels a rep set with its pace zone; the athlete reads the zone's name.
REP_PACE_NAMES = {"T": "tempo pace", "I": "interval pace", "R": "repetition pace", "M": "race pace"}
# Compliance colours (docs/science.md#compliance-colours) in words, so colour is never the only signal.
DONE_WORDS = {
    "green": "Done, on target",
    "yellow": "Done, a little off target",
    "red": "Done, well off target",
}


@dataclass(frozen=True)
class RunShown:
    day: str
    distance: str
    duration: str
    pace: str


@dataclass(frozen=True)
class WorkoutShown:
    id: str
    date: str  # ISO, for the markup
    day: str  # "Mon 7 Dec"
    name: str
    target: str  # "8.0 km · about 48 min"
    pace: str  # "5:30–6:00 /km"
    details: tuple[str, ...]
    moved_from: str | None
    status: str  # planned | completed | missed | rest
    status_text: str
    colour: str | None
    runs: tuple[RunShown, ...]


@dataclass(frozen=True)
class WeekShown:
    index: int
    start: str  # ISO Monday
    title: str  # "Week 3 · 7–13 Dec"
    phase: str
    planned_km: float
    done_km: float
    current: bool
    workouts: tuple[WorkoutShown, ...]
    reasons: tuple[str, ...]
    bar: MiniBars


@dataclass(frozen=True)
class ChangeShown:
    week: str
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
    top_km: int
    bars: tuple[Bar, ...]
    summary: str  # the chart in words, for screen readers


@dataclass(frozen=True)
class MiniBars:
    """One week's planned and done km as two horizontal bars on a 0..100 scale."""

    planned_w: float
    done_w: float


@dataclass(frozen=True)
class Page:
    title: str
    goal: str
    today: str
    paused: str | None
    soon: tuple[WeekShown, ...]  # this week and the next
    later: tuple[WeekShown, ...]  # the weeks after those, collapsed on the page
    past: tuple[WeekShown, ...]  # most recent first, collapsed
    changes: tuple[ChangeShown, ...]
    chart: Chart


# --- formatting -----------------------------------------------------------------------------------------


def day_label(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def long_day_label(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B} {d.year}"


def pace_text(seconds_per_km: float) -> str:
    s = round(seconds_per_km)
    return f"{s // 60}:{s % 60:02d}"


def pace_range(pace: Sequence[float]) -> str:
    fast, slow = float(pace[0]), float(pace[1])
    if abs(slow - fast) < 1:
        return f"{pace_text(fast)} /km"
    return f"{pace_text(fast)}–{pace_text(slow)} /km"


def km(metres: float) -> str:
    return f"{metres / 1000:.1f} km"


def minutes(seconds: float) -> str:
    total = round(seconds / 60)
    return f"{total} min" if total < 60 else f"{total // 60} h {total % 60:02d} min"


def week_title(index: int, start: date) -> str:
    end = start + timedelta(days=6)
    span = (
        f"{start.day}–{end.day} {end:%b}"
        if start.month == end.month
        else f"{day_short(start)}–{day_short(end)}"
    )
    return f"Week {index + 1} · {span}"


def day_short(d: date) -> str:
    return f"{d.day} {d:%b}"


# --- workouts -------------------------------------------------------------------------------------------


def workout_details(w: Mapping[str, Any]) -> tuple[str, ...]:
    lines = []
    if w.get("warmup_m"):
        lines.append(f"Warm-up: {km(w['warmup_m'])} easy")
    for rep in w.get("reps", ()):
        zone = REP_PACE_NAMES.get(rep.get("label", ""), "")
        rest = f", {round(rep['recovery_s'])} s easy jog between" if rep.get("recovery_s") else ""
        at = f" at {pace_range(rep['pace'])}" + (f" ({zone})" if zone else "")
        lines.append(f"{rep['count']} × {rep['distance_m']:g} m{at}{rest}")
    if w.get("strides") and "strides" not in str(w.get("note", "")):
        lines.append(f"{w['strides']} strides (short relaxed sprints)")
    if w.get("run_walk"):
        rw = w["run_walk"]
        lines.append(f"{rw['count']} × run {round(rw['run_s'])} s, walk {round(rw['walk_s'])} s")
    if w.get("cooldown_m"):
        lines.append(f"Cool-down: {km(w['cooldown_m'])} easy")
    if w.get("note"):
        lines.append(str(w["note"]))
    return tuple(lines)


def run_shown(run: planner.Activity) -> RunShown:
    pace = run.moving_time_s / (run.distance_m / 1000) if run.distance_m > 0 else None
    return RunShown(
        day=day_label(run.local_date),
        distance=km(run.distance_m),
        duration=minutes(run.moving_time_s),
        pace=f"{pace_text(pace)} /km" if pace else "no distance recorded",
    )


def status_text(w: Mapping[str, Any]) -> str:
    if w["status"] == "completed":
        return DONE_WORDS.get(w.get("colour") or "", "Done")
    return {"missed": "Missed", "planned": "Coming up", "rest": "Rest"}.get(w["status"], "Coming up")


def workout_shown(w: Mapping[str, Any], runs: Mapping[int, planner.Activity]) -> WorkoutShown:
    rest = w["type"] == "rest"
    moved = w.get("moved_from")
    return WorkoutShown(
        id=w["id"],
        date=w["date"],
        day=day_label(date.fromisoformat(w["date"])),
        name=WORKOUT_NAMES.get(w["type"], "Run"),
        target="" if rest else f"{km(w['distance_m'])} · about {minutes(w['duration_s'])}",
        pace="" if rest else pace_range(w["pace"]),
        details=() if rest else workout_details(w),
        moved_from=day_label(date.fromisoformat(moved)) if moved else None,
        status=w["status"],
        status_text=status_text(w),
        colour=w.get("colour"),
        runs=tuple(run_shown(runs[i]) for i in w.get("activity_ids", ()) if i in runs),
    )


# --- weeks, changes, chart ------------------------------------------------------------------------------


def week_shown(
    week: Mapping[str, Any],
    today: date,
    runs: Mapping[int, planner.Activity],
    reasons: Mapping[str, str],
    top: float,
) -> WeekShown:
    start = date.fromisoformat(week["start"])
    return WeekShown(
        index=week["index"],
        start=week["start"],
        title=week_title(week["index"], start),
        phase=PHASE_NAMES.get(week["phase"], ""),
        planned_km=week["planned_km"],
        done_km=week["done_km"],
        current=start <= today <= start + timedelta(days=6),
        workouts=tuple(workout_shown(w, runs) for w in week["workouts"]),
        reasons=tuple(dict.fromkeys(reasons[c] for c in week["changes"] if c in reasons)),
        bar=MiniBars(
            planned_w=round(100 * week["planned_km"] / top, 1) if top else 0.0,
            done_w=round(100 * min(week["done_km"], top) / top, 1) if top else 0.0,
        ),
    )


def change_shown(change: Mapping[str, Any]) -> ChangeShown:
    if change["undone"]:
        state = "You undid this change"
    elif change["active"]:
        state = "In effect"
    else:
        state = "Replaced by a later change"
    week = date.fromisoformat(change["week_start"])
    return ChangeShown(week=f"Week of {day_short(week)}", reason=change["reason"], state=state)


CHART_HEIGHT = 170.0
CHART_TOP = 26.0  # room for the scale's label
CHART_BOTTOM = 22.0  # room for the week numbers
BAR_STEP = 30.0  # per week, at least
MAX_BAR_STEP = 60.0
CHART_MIN_WIDTH = 360.0  # a short plan keeps the text at its size instead of being scaled up to the width


def chart(weeks: Sequence[Mapping[str, Any]], today: date) -> Chart:
    top_km = max([1.0, *(max(w["planned_km"], w["done_km"]) for w in weeks)])
    nice_top = int(-(-top_km // 10) * 10)  # up to the next 10 km
    baseline = CHART_HEIGHT - CHART_BOTTOM
    scale = (baseline - CHART_TOP) / nice_top
    step = min(MAX_BAR_STEP, max(BAR_STEP, (CHART_MIN_WIDTH - 8) / max(len(weeks), 1)))
    bars = []
    for i, w in enumerate(weeks):
        start = date.fromisoformat(w["start"])
        planned_h, done_h = w["planned_km"] * scale, w["done_km"] * scale
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
    done_weeks = [w for w in weeks if date.fromisoformat(w["start"]) <= today]
    summary = f"{len(weeks)} weeks, up to {nice_top} km a week. " + " ".join(
        f"Week {w['index'] + 1}: {w['planned_km']:g} km planned, {w['done_km']:g} km run." for w in done_weeks
    )
    return Chart(
        width=max(CHART_MIN_WIDTH, round(8 + len(weeks) * step, 1)),
        height=CHART_HEIGHT,
        baseline=baseline,
        bar_width=min(40.0, step - 10),
        top_km=nice_top,
        bars=tuple(bars),
        summary=summary.strip(),
    )


def goal_text(goal: Mapping[str, Any]) -> str:
    on = long_day_label(date.fromisoformat(goal["date"]))
    if goal["kind"] == "race":
        distance = f"{goal['distance_m'] / 1000:g} km race" if goal.get("distance_m") else "Race"
        return f"{distance} on {on}"
    if goal["kind"] == "recovery":
        return f"Recovering, until {on}"
    return f"Keeping fit, until {on}"


def page(detail: Mapping[str, Any], activities: Iterable[planner.Activity]) -> Page:
    """The page from `plans.views.plan_detail` (the plan API's body) and the runs the plan was judged on."""
    today = date.fromisoformat(detail["today"])
    runs = {a.id: a for a in activities}
    reasons = {c["id"]: c["reason"] for c in detail["changes"] if c["active"]}
    top = max([1.0, *(max(w["planned_km"], w["done_km"]) for w in detail["weeks"])])
    weeks = [week_shown(w, today, runs, reasons, top) for w in detail["weeks"]]
    paused = detail.get("paused_until")
    coming = [w for w in weeks if date.fromisoformat(w.start) + timedelta(days=6) >= today]
    return Page(
        title="Your training plan",
        goal=goal_text(detail["goal"]),
        today=long_day_label(today),
        paused=f"Paused until {long_day_label(date.fromisoformat(paused))}" if paused else None,
        soon=tuple(coming[:2]),
        later=tuple(coming[2:]),
        past=tuple(reversed([w for w in weeks if date.fromisoformat(w.start) + timedelta(days=6) < today])),
        changes=tuple(change_shown(c) for c in detail["changes"]),
        chart=chart(detail["weeks"], today),
    )
