"""The demo's chapters beyond Strava: a run the athlete's new watch recorded arrives as a FIT file and merges
with the phone's copy on Strava (docs/sources.md#one-run-one-activity); the coming week reaches the watch
through intervals.icu (docs/connectors.md), and its structured session is downloaded as a FIT workout file and
read back (docs/workouts.md#fit-export).

The watch's file is written by the project's synthetic FIT builder (sources/files/synthetic.py); the workout
file is read back with Garmin's FIT SDK decoder, a runtime dependency, so `runsmart demo` needs no dev extras.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.demo_output import DAY_WIDTH, LABEL_WIDTH, day_text
from cli.demo_steps import Run
from planner.clock import clock, minutes_seconds
from simulator.intervals_icu_serve import StandIn

# The same run on two devices, as docs/sources.md#one-run-one-activity expects them to differ: the athlete starts
# the watch at the door and the phone's Strava app a little later, and the watch's GPS measures a little more.
PHONE_LATE_S = 40
WATCH_DISTANCE = 1.015
WATCH_HEART_RATE = 146
ICU_KEY = "demo-intervals-icu-personal-key"
FIT_MEDIA_TYPE = "application/vnd.ant.fit"


@dataclass(frozen=True)
class Devices:
    """Where the coming week goes: the intervals.icu stand-in (the athlete's calendar there) and the folder the
    app saves workout files in."""

    icu: StandIn
    icu_athlete: str
    folder: Path


# --- a run from the watch -----------------------------------------------------------------------------------


def watch_file(day: date, at: clock_time, zone: ZoneInfo, metres: float, elapsed_s: int) -> bytes:
    """The FIT file the watch writes for a run started at `day`, `at` in the athlete's zone (a lap a km)."""
    from sources.files.synthetic import RunSpec, fit_file

    start = datetime.combine(day, at, tzinfo=zone)
    offset = start.utcoffset() or timedelta(0)
    spec = RunSpec(
        start=start.astimezone(UTC),
        elapsed_s=elapsed_s,
        distance_m=metres,
        heart_rate=WATCH_HEART_RATE,
        laps=max(1, round(metres / 1000)),
        utc_offset_s=int(offset.total_seconds()),
    )
    return fit_file(spec)


def upload_file(api: str, auth: dict[str, str], name: str, data: bytes) -> dict[str, Any]:
    """POST …/activities, as the watch's companion app does; the API's answer."""
    files = {"file": (name, data, FIT_MEDIA_TYPE)}
    response = requests.post(f"{api}/activities", files=files, headers=auth, timeout=60)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return {**answer, "status": response.status_code}


def import_text(answer: dict[str, Any], zone: ZoneInfo) -> str:
    start = datetime.fromisoformat(answer["start_date"]).astimezone(zone)
    km = float(answer["distance_m"]) / 1000
    return (
        f"the watch's FIT file, uploaded by its app (POST /activities): {answer['status']} {answer['outcome']} "
        f"as activity {answer['activity_id']}: {km:.2f} km in {clock(answer['elapsed_time_s'])}, "
        f"started {start:%H:%M:%S}"
    )


def show_one_run(console: Console, run: Run, planned: dict[str, Any] | None) -> None:
    """The run the two copies became: its figures, each copy, and the plan's workout it fulfils."""
    a = run.activity
    grid = _grid()
    shown = next(
        (
            c.source
            for c in run.copies
            if c.start_date_local == a.start_date_local and c.distance_m == a.distance_m
        ),
        "?",
    )
    grid.add_row(
        "",
        "one run",
        f"[bold]{len(run.copies)} copies, one activity[/] ({a.id}): {a.distance_m / 1000:.2f} km in "
        f"{clock(a.moving_time_s)}, started {a.start_date_local:%H:%M:%S}; its figures are {shown}'s "
        "(the source priority)",
    )
    for c in run.copies:
        extra = "".join(
            [
                f" · {escape(c.device)}" if c.device else "",
                f" · heart rate {c.average_heartrate:.0f}" if c.average_heartrate else "",
            ]
        )
        grid.add_row(
            "",
            "copy",
            f"{c.source} ({c.role}): {c.distance_m / 1000:.2f} km, {clock(c.elapsed_time_s)} elapsed, "
            f"started {c.start_date_local:%H:%M:%S}{extra}",
        )
    if planned is not None:
        ids = ", ".join(str(i) for i in planned["activity_ids"]) or "none"
        grid.add_row(
            "",
            "the plan",
            f"the {planned['type']} run of {day_text(date.fromisoformat(planned['date']))} is fulfilled by "
            f"activity {ids}: counted once",
        )
    console.print(grid)
    console.print()


# --- the coming week on the watch ---------------------------------------------------------------------------


def connect_calendar(api: str, auth: dict[str, str], icu_athlete: str) -> dict[str, Any]:
    """PUT …/connectors/intervals-icu with the athlete's intervals.icu id and personal key."""
    body = {"athlete_id": icu_athlete, "api_key": ICU_KEY}
    response = requests.put(f"{api}/connectors/intervals-icu", json=body, headers=auth, timeout=30)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def calendar_status(api: str, auth: dict[str, str]) -> dict[str, Any]:
    response = requests.get(f"{api}/connectors/intervals-icu", headers=auth, timeout=30)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def show_calendar(console: Console, events: list[dict[str, Any]], status: dict[str, Any]) -> None:
    """What the intervals.icu calendar holds now: each workout's day, name and workout text."""
    if not events:
        raise RuntimeError("the intervals.icu stand-in received no workouts; see the worker's log")
    table = Table(
        title=f"intervals.icu calendar of {status['athlete_id']} (the stand-in): {status['workouts_sent']} "
        f"workouts sent, connection {status['status']}",
        show_lines=True,
    )
    table.add_column("day", width=DAY_WIDTH)
    table.add_column("workout", min_width=18)
    table.add_column("workout text (intervals.icu makes the watch's steps of it)", ratio=1)
    for event in events:
        day = datetime.fromisoformat(str(event["start_date_local"])).date()
        table.add_row(day_text(day), escape(str(event["name"])), escape(str(event.get("description") or "")))
    console.print(table)
    console.print()


def structured_session(plan: dict[str, Any], first_day: date) -> dict[str, Any]:
    """The first workout with repeats from `first_day` on, as GET /plan shows it."""
    for week in plan["weeks"]:
        for w in sorted(week["workouts"], key=lambda w: str(w["date"])):
            if date.fromisoformat(w["date"]) >= first_day and w.get("reps"):
                return dict(w)
    raise LookupError(f"the plan holds no structured session from {first_day}")


def download_workout(api: str, auth: dict[str, str], workout_id: str, folder: Path) -> Path:
    """GET …/workouts/{id}.fit, saved as the app would before sending it to the watch."""
    response = requests.get(f"{api}/workouts/{workout_id}.fit", headers=auth, timeout=30)
    response.raise_for_status()
    path = folder / f"{workout_id}.fit"
    path.write_bytes(response.content)
    return path


def show_workout_file(console: Console, day: date, event: str, path: Path) -> None:
    """The downloaded file read back: the workout's name and every step, repeats as the watch runs them."""
    name, lines = read_workout_file(path.read_bytes())
    grid = _grid()
    grid.add_row(day_text(day), "event", escape(event))
    grid.add_row(
        "",
        "file",
        f"{escape(str(path))}: FIT workout [bold]{escape(name)}[/], read back with Garmin's FIT SDK",
    )
    for line in lines:
        grid.add_row("", "step", escape(line))
    console.print(grid)
    console.print()


def read_workout_file(data: bytes) -> tuple[str, list[str]]:
    """(the workout's name, its steps as lines) of a FIT workout file; a repeat's steps are indented under it."""
    from garmin_fit_sdk import Decoder, Stream

    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    if errors:
        raise ValueError(f"the workout file does not decode: {errors[0]}")
    (workout,) = messages["workout_mesgs"]
    blocks: list[tuple[int, list[str]]] = []  # (index of the block's first step, its lines)
    for index, step in enumerate(messages["workout_step_mesgs"]):
        if step.get("duration_type") == "repeat_until_steps_cmplt":
            first = int(step["duration_step"])
            body = [line for start, lines in blocks if start >= first for line in lines]
            blocks = [(start, lines) for start, lines in blocks if start < first]
            blocks.append((first, [f"{step['repeat_steps']} ×", *(f"    {line}" for line in body)]))
        else:
            blocks.append((index, [step_text(step)]))
    return str(workout.get("wkt_name", "")), [line for _, lines in blocks for line in lines]


def step_text(step: Mapping[str, Any]) -> str:
    """One decoded `workout_step`: name, how long, the target pace range (speeds back to min/km)."""
    kind = step.get("duration_type")
    if kind == "distance":
        metres = float(step["duration_distance"])
        length = f"{metres / 1000:.2f} km" if metres >= 1000 else f"{metres:.0f} m"
    elif kind == "time":
        length = clock(float(step["duration_time"]))
    else:
        length = "until the lap button"
    target = ", no pace target"
    if step.get("target_type") == "speed":
        fast = 1000 / float(step["custom_target_speed_high"])
        slow = 1000 / float(step["custom_target_speed_low"])
        target = f" at {minutes_seconds(fast)}–{minutes_seconds(slow)} /km"
    return f"{step.get('wkt_step_name', '')} ({step.get('intensity', '')}): {length}{target}"


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=DAY_WIDTH, style="bold")
    grid.add_column(width=LABEL_WIDTH, style="dim")
    grid.add_column(ratio=1)
    return grid
