"""The scenario tool's shell: read a scenario JSON, normalize its Strava activities, run the planner, render.

`runsmart plan replay SCENARIO.json [--json]`; formats are documented in docs/scenario.md.
The coaching decisions are all in `planner/`; this module only does I/O and presentation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from planner import (
    Activity,
    Athlete,
    Goal,
    GoalKind,
    Plan,
    RaceResult,
    Workout,
    WorkoutType,
    adapt,
    generate_plan,
    plan_report,
    synthetic,
    training_paces,
)
from planner.inputs import check_inputs
from planner.paces import Paces
from planner.plan import WEEKDAYS
from planner.synthetic import Behaviour, Extra, as_planned
from sync.normalize import normalize_activity


class ScenarioError(ValueError):
    """The scenario file is not valid."""


@dataclass(frozen=True)
class Scenario:
    name: str
    athlete: Athlete
    goal: Goal
    start: date
    as_of: date
    activities: tuple[Activity, ...]


def _weekday(value: Any) -> int:
    if isinstance(value, bool):
        raise ScenarioError(f"unknown weekday {value!r}; use mon..sun or 0..6")
    if isinstance(value, int):
        if not 0 <= value <= 6:
            raise ScenarioError(f"unknown weekday {value!r}; use mon..sun or 0..6 (0 = Monday)")
        return value
    key = str(value).strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ScenarioError(f"unknown weekday {value!r}; use mon..sun")
    return WEEKDAYS.index(key)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def athlete_from_json(d: dict[str, Any]) -> Athlete:
    d = _object(d, "athlete")
    race = d.get("recent_race")
    if race is None and d.get("vdot") is None:
        raise ScenarioError("athlete needs recent_race {distance_m, time_s} or vdot")
    return Athlete(
        weekly_km=float(d["weekly_km"]),
        runs_per_week=int(d["runs_per_week"]),
        long_run_day=_weekday(d.get("long_run_day", "sun")),
        run_days=tuple(_weekday(x) for x in d.get("run_days", ())),
        vdot=None if d.get("vdot") is None else float(d["vdot"]),
        recent_race=RaceResult(float(race["distance_m"]), float(race["time_s"])) if race else None,
        max_hr=None if d.get("max_hr") is None else float(d["max_hr"]),
        long_run_km=None if d.get("long_run_km") is None else float(d["long_run_km"]),
        break_days=_whole(d.get("break_days", d.get("days_off", 0)), "break_days"),
        cross_training=bool(d.get("cross_training", False)),
    )


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value % 1:
        raise ScenarioError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def goal_from_json(d: dict[str, Any]) -> Goal:
    d = _object(d, "goal")
    dist, goal_time = d.get("distance_m"), d.get("time_s")
    return Goal(
        GoalKind(d.get("kind", "race")),
        date.fromisoformat(d["date"]),
        None if dist is None else float(dist),
        None if goal_time is None else float(goal_time),
    )


def parse_scenario(raw: Any, name: str = "scenario") -> Scenario:
    """A valid scenario, or ScenarioError with one line saying what is wrong (never another exception)."""
    try:
        raw = _object(raw, "a scenario")
        sc = Scenario(
            name=str(raw.get("name", name)),
            athlete=athlete_from_json(raw["athlete"]),
            goal=goal_from_json(raw["goal"]),
            start=date.fromisoformat(raw["start"]),
            as_of=date.fromisoformat(raw["as_of"]),
            activities=tuple(normalize_activity(a) for a in _list(raw.get("activities", []))),
        )
        check_inputs(sc.athlete, sc.goal, sc.start)  # docs/science.md#plausible-inputs
    except KeyError as exc:
        raise ScenarioError(f"invalid scenario: missing field {exc}") from exc
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ScenarioError(f"invalid scenario: {_one_line(exc)}") from exc
    return sc


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"activities must be a JSON list, got {type(value).__name__}")
    return value


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"invalid scenario: {path.name} is not UTF-8 text (JSON expected)") from exc
    if not text.strip():
        raise ScenarioError(f"invalid scenario: {path.name} is empty (JSON expected)")
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise ScenarioError(f"invalid scenario: {path.name} is not valid JSON ({_one_line(exc)})") from exc
    return parse_scenario(raw, name=path.stem)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def replay(sc: Scenario) -> dict[str, Any]:
    """Generate the plan, adapt it as a worker would (every Monday, then on ``as_of``), and report.

    Stepping matters because adaptation never rewrites the past: each week's workouts are what the plan said
    when that week began, so compliance is measured against what the athlete was actually asked to run.
    """
    try:
        plan = generate_plan(sc.athlete, sc.goal, sc.start)
    except ValueError as exc:  # implausible input the parser let through: still one line, never a traceback
        raise ScenarioError(f"invalid scenario: {_one_line(exc)}") from exc
    for week in plan.weeks:
        if week.start >= sc.as_of:
            break
        plan = adapt(plan, sc.activities, week.start).plan
    plan = adapt(plan, sc.activities, sc.as_of).plan
    report = plan_report(plan, sc.activities, sc.as_of)
    goal = {
        "predicted_time_s": None if plan.predicted_time_s is None else round(plan.predicted_time_s),
        "time_s": sc.goal.time_s,
        "verdict": plan.goal_verdict.value or None,
    }
    return {"scenario": sc.name, "as_of": sc.as_of.isoformat(), "goal": goal, **report}


# --- rendering -------------------------------------------------------------------------------------------


def _pace(p: float) -> str:
    return f"{int(p // 60)}:{int(round(p % 60)):02d}"


def render(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    paces = report["paces"]
    console.print(
        f"[bold]{report['scenario']}[/bold] as of {report['as_of']} · VDOT {report['vdot']} "
        f"(plan {report['base_vdot']}) · E {_pace(paces['E'][0])}–{_pace(paces['E'][1])} "
        f"M {_pace(paces['M'])} T {_pace(paces['T'])} I {_pace(paces['I'])} R {_pace(paces['R'])} /km"
    )
    colours = {"green": "green", "yellow": "yellow", "red": "red"}
    for week in report["weeks"]:
        title = (
            f"{week['start']} · {week['phase']} · planned {week['planned_km']} km · done {week['completed_km']} km"
            + (f" · {week['compliance']} ({week['compliance_pct']} %)" if week["compliance"] else "")
            + (f" · ACWR {week['acwr']}" if week.get("acwr") is not None else "")
        )
        table = Table(title=title, title_justify="left", show_edge=False)
        for col in (
            "date",
            "type",
            "km",
            "min",
            "pace /km",
            "structure",
            "status",
            "compliance",
            "activities",
        ):
            table.add_column(col)
        for w in week["workouts"]:
            reps = " + ".join(
                f"{r['count']}×{r['distance_m']:g}m @{r['at']}" for r in w.get("reps", [])
            ) or w.get("description", "")
            comp = w["compliance"]
            table.add_row(
                w["date"],
                w["type"],
                f"{w['distance_m'] / 1000:.1f}",
                f"{w['duration_s'] / 60:.0f}",
                f"{_pace(w['pace_s_per_km'][0])}–{_pace(w['pace_s_per_km'][1])}",
                reps,
                w["status"],
                f"[{colours[comp]}]{comp} {w['compliance_pct']}%[/]" if comp else "",
                ", ".join(str(i) for i in w["matched_activity_ids"]),
            )
        console.print(table)
    if report["extra_activity_ids"]:
        console.print(f"Extra (unplanned) runs: {', '.join(map(str, report['extra_activity_ids']))}")
    if report["ignored_activity_ids"]:
        console.print(f"Not running (ignored): {', '.join(map(str, report['ignored_activity_ids']))}")
    console.print(f"[bold]Changes ({len(report['changes'])})[/bold]")
    for c in report["changes"]:
        console.print(f"• [cyan]{c['code']}[/cyan] ({c['id']}, {len(c['workouts'])} workouts): {c['reason']}")
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")


# --- example scenarios -------------------------------------------------------------------------------------

EXAMPLE_ATHLETE = {
    "weekly_km": 40,
    "runs_per_week": 5,
    "long_run_day": "sun",
    "recent_race": {"distance_m": 10000, "time_s": 2700},
    "max_hr": 186,
    "long_run_km": 14,
}
EXAMPLE_GOAL = {"kind": "race", "distance_m": 21097.5, "date": "2026-06-21"}
EXAMPLE_START = "2026-03-02"
ATHLETE_ID = 4242

FIRST_ACTIVITY_ID = 15_000_000_001


def simulate(as_of: date, behaviour: Behaviour, extra: Extra | None = None) -> list[dict[str, Any]]:
    """Strava activities of the example athlete following the plan as it adapts each Monday, with ``behaviour``
    (the one simulation, planner.synthetic.simulate; only the athlete and the ids are the examples' own)."""
    athlete = athlete_from_json(EXAMPLE_ATHLETE)
    goal = goal_from_json(EXAMPLE_GOAL)
    plan = generate_plan(athlete, goal, date.fromisoformat(EXAMPLE_START))
    sim = synthetic.simulate(plan, as_of, behaviour, extra, athlete_id=ATHLETE_ID, first_id=FIRST_ACTIVITY_ID)
    return sim.raws


def plan_paces(plan: Plan) -> Paces:
    return training_paces(plan.vdot)


def _scenario(
    name: str, description: str, as_of: str, activities: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "athlete": EXAMPLE_ATHLETE,
        "goal": EXAMPLE_GOAL,
        "start": EXAMPLE_START,
        "as_of": as_of,
        "activities": list(activities),
    }


# How each example's athlete departs from the plan (week indexes count from 0, the plan's first week).


def _fast_easy(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    if week == 3 and w.type is WorkoutType.EASY:
        return [{"work_pace": plan_paces(plan).threshold}]
    return [{}]


def _skip_most(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    if week == 4 and w.date.weekday() not in (1, 4):
        return []
    return [{}]


def _sick(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    return [] if week in (9, 10) else [{}]


def _doubles(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    if week == 2 and w.type is WorkoutType.EASY and w.date.weekday() == 3:
        return [
            {"distance_factor": 0.5, "start": time(7, 0)},
            {"distance_factor": 0.5, "start": time(18, 30)},
        ]
    return [{}]


def _moved(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    if week == 8 and w.is_quality and w.date.weekday() == 1:
        return [{"day_offset": 1}]
    return [{}]


def _ride(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
    if week == 3 and w.type is WorkoutType.LONG:
        return [{"sport_type": "Ride", "name": "Long run (re-typed as Ride)"}]
    return [{}]


def _extra_intervals(week: int, plan: Plan) -> list[tuple[Workout, dict[str, Any]]]:
    if week != 9:
        return []
    template = next(w for w in plan.workouts() if w.type is WorkoutType.INTERVALS)
    out: list[tuple[Workout, dict[str, Any]]] = []
    for offset in (2, 5):  # Wednesday and Saturday, the athlete's rest days
        day = plan.weeks[week].start + timedelta(days=offset)
        out.append((replace(template, date=day), {"start": time(12, 15), "name": "Extra intervals"}))
    return out


@dataclass(frozen=True)
class _Example:
    name: str
    description: str
    as_of: str
    behaviour: Behaviour = as_planned
    extra: Extra | None = None


EXAMPLES = (
    _Example("perfect", "Every workout run as planned for 10 weeks: no changes, all green.", "2026-05-11"),
    _Example(
        "missed_week",
        "Week 5 (30 Mar) only the Tuesday and Friday runs: next week steps back instead of cramming (volume_rebuild).",
        "2026-04-13",
        _skip_most,
    ),
    _Example(
        "two_weeks_sick",
        "No runs 4–17 May, inside the last 8 weeks: return at 50 %/75 %, slower paces (FVDOT), revise-goal advice.",
        "2026-05-25",
        _sick,
    ),
    _Example(
        "easy_too_fast",
        "Week 4 (23 Mar) easy runs at threshold pace: next week gets a recovery run (intensity_reduced).",
        "2026-04-06",
        _fast_easy,
    ),
    _Example(
        "extra_intervals",
        "Week 10 (4 May) two extra interval sessions on rest days: they are extras and the next week is eased.",
        "2026-05-18",
        extra=_extra_intervals,
    ),
    _Example(
        "doubles",
        "Week 3 Thursday easy run split into a morning and an evening run: one green workout.",
        "2026-03-23",
        _doubles,
    ),
    _Example(
        "moved_workout",
        "Week 9 Tuesday quality session run on Wednesday: matched, no changes.",
        "2026-05-04",
        _moved,
    ),
    _Example(
        "retyped_ride",
        "Week 4 (23 Mar) long run saved as a Ride: it does not count, the long run is missed, next week is lowered.",
        "2026-04-01",
        _ride,
    ),
)


def example_scenarios() -> dict[str, dict[str, Any]]:
    """The shipped examples (examples/scenarios/*.json), rebuilt by `runsmart plan examples`."""
    return {
        ex.name: _scenario(
            ex.name, ex.description, ex.as_of, simulate(date.fromisoformat(ex.as_of), ex.behaviour, ex.extra)
        )
        for ex in EXAMPLES
    }


def write_examples(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sc in example_scenarios().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(sc, indent=1) + "\n")
        written.append(path)
    return written
