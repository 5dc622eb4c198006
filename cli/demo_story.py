"""The demo's story: one athlete, one season, told in order.

Weeks run as planned; a week missed (ill) and the plan rebuilt; easy runs too fast and the speed guard; a
long run far beyond the recent longest; then an edit, a re-type and a deletion on Strava; a week on a new watch,
whose FIT file of the long run merges with the phone's copy on Strava; and the coming week, sent to the
watch through intervals.icu, its structured session downloaded as a FIT workout file. Every run is the
workout the plan holds for its day when the athlete runs it (read from the API just before), so what the
athlete does follows what they were told; each reaches RunSmart the morning after, as a real Strava push (or
the watch's file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import requests
from rich.console import Console

import planner
from cli.demo_output import WeekStory, day_text, show_step
from cli.demo_steps import Stepper, Told, Via
from cli.demo_watch import (
    PHONE_LATE_S,
    WATCH_DISTANCE,
    Devices,
    calendar_status,
    connect_calendar,
    download_workout,
    import_text,
    show_calendar,
    show_one_run,
    show_workout_file,
    structured_session,
    upload_file,
    watch_file,
)
from planner.clock import clock, minutes_seconds
from simulator.testing import SimulatorAdmin

RUN_AT = clock_time(7, 0)
# A run counts the day it is done: the story has RunSmart read each run a couple of hours after it, so the
# decision it causes (a spike's recovery days, the speed guard) is told beside it, that same morning.
READ_AT = clock_time(9, 30)
PHONE_READ_AT = clock_time(10, 0)  # the phone's copy of a run the watch's file brought at READ_AT
CONNECT_AT = clock_time(6, 30)  # the coming week's Monday, before its run
SPIKE_FACTOR = 1.5  # the long run, against the longest run of the 30 days before it
SPIKE_WINDOW_DAYS = 30
TOO_FAST = 0.98  # easy runs at this fraction of marathon pace: faster than marathon pace
EASY_TYPES = ("easy", "recovery")
CLUB_RUN = "Easy run with the club"


def run_text(activity: dict[str, Any], what: str = "new run on Strava") -> str:
    km = activity["distance"] / 1000
    moving = activity["moving_time"]
    return (
        f'{what}: "{activity["name"]}", {km:.1f} km in {clock(moving)} ({minutes_seconds(moving / km)} /km)'
    )


@dataclass
class Story:
    """Drives the athlete through the season; every event goes through `stepper` (and is printed at once)."""

    stepper: Stepper
    admin: SimulatorAdmin
    athlete_id: int
    api: str
    auth: dict[str, str]
    start: date  # the plan's first Monday
    console: Console
    devices: Devices
    told: list[Told] = field(default_factory=list)
    weeks: list[WeekStory] = field(default_factory=list)
    runs: list[tuple[date, float, int]] = field(default_factory=list)  # (day, metres, activity id)
    chapter: str = ""

    # --- the chapters -----------------------------------------------------------------------------------

    def as_planned(self, index: int) -> None:
        self._chapter(index, "as planned")
        self._week(index, self._planned)

    def missed(self, index: int) -> None:
        self._chapter(index, "missed (ill)")
        monday = self._monday(index)
        self.console.print(
            f"[bold]{day_text(monday)} – {day_text(monday + timedelta(days=6))}[/]  the athlete is ill and "
            "does not run: nothing reaches Strava, so nothing reaches RunSmart.\n"
        )

    def back(self, index: int) -> None:
        self._chapter(index, "back: the plan rebuilds")
        self._week(index, self._planned)

    def too_fast(self, index: int) -> None:
        self._chapter(index, "easy runs too fast")
        self._week(index, lambda w: self._too_fast(w) if w["type"] in EASY_TYPES else self._planned(w))

    def spike(self, index: int) -> None:
        self._chapter(index, "long-run spike")
        self._week(index, lambda w: self._spike(w) if w["type"] == "long" else self._planned(w))

    def edits(self, index: int) -> None:
        """The first two runs of the week, the second uploaded twice; then a title edit, a re-type and the
        deletion of the copy, on the days after; then the rest of the week as planned."""
        self._chapter(index, "edits on Strava")
        first = self._next_workout(index, set())
        recovery_id = self._planned(first)
        second = self._next_workout(index, {first["date"]})
        kept_id = self._planned(second)
        day = date.fromisoformat(second["date"])
        copy_id = self._copy(day, kept_id)
        edits_day = day + timedelta(days=1)
        self._edit(
            edits_day,
            clock_time(12, 0),
            f'edit on Strava: the run of {day_text(day)} is renamed "{CLUB_RUN}"',
            lambda: self.admin.update_activity(kept_id, title=CLUB_RUN),
        )
        self._edit(
            edits_day,
            clock_time(19, 0),
            f"re-type on Strava: the run of {day_text(date.fromisoformat(first['date']))} becomes a Walk "
            "(it was mostly walking)",
            lambda: self.admin.update_activity(recovery_id, type="Walk", sport_type="Walk"),
        )
        deletion_day = edits_day + timedelta(days=1)
        self._edit(
            deletion_day,
            clock_time(9, 0),
            f"deletion on Strava: the athlete deletes the copy of the run of {day_text(day)}",
            lambda: self.admin.delete_activity(copy_id),
        )
        # The week goes on from the day of the deletion (its runs are read after the deletion, so the story's clock
        # never goes back); the re-typed run stays a walk, so the week ends short of its plan.
        before = {w["date"] for w in self._runs_of_week(index, set()) if w["date"] < deletion_day.isoformat()}
        self._week(index, self._planned, done=before)

    def new_watch(self, index: int) -> None:
        """A week as planned on a new watch: its long run (else its last run) reaches RunSmart as the watch's
        FIT file first, then as the phone's copy on Strava; the two become one activity."""
        self._chapter(index, "a new watch: one run, two sources")
        runs = self._runs_of_week(index, set())
        if not runs:
            raise LookupError(f"week {index + 1} of the plan holds no run for the new watch")
        long = [w["date"] for w in runs if w["type"] == "long"]
        on_watch = long[0] if long else runs[-1]["date"]
        self._week(
            index, lambda w: self._on_watch_and_phone(w) if w["date"] == on_watch else self._planned(w)
        )

    def coming_week(self, index: int) -> None:
        """On the coming week's Monday the athlete connects intervals.icu, which receives the week's workouts
        (to send them on to the watch), and the app downloads the week's structured session as a FIT file."""
        self._chapter(index, "the coming week, on the watch")
        monday = self._monday(index)
        icu = self.devices.icu_athlete
        event = (
            f"the athlete connects their intervals.icu calendar {icu} (PUT /connectors/intervals-icu): "
            "RunSmart sends it the coming week's workouts, which intervals.icu puts on the watch"
        )
        told = self.stepper.call(
            self.chapter,
            monday,
            CONNECT_AT,
            event,
            lambda: connect_calendar(self.api, self.auth, icu),
            Via.CONNECTOR,
        )
        self._show(told)
        show_calendar(self.console, self.devices.icu.events(icu), calendar_status(self.api, self.auth))
        session = structured_session(self._plan(), monday)
        path = download_workout(self.api, self.auth, str(session["id"]), self.devices.folder)
        day = date.fromisoformat(session["date"])
        event = (
            f"the app downloads the structured session of {day_text(day)} as a FIT workout file "
            f"(GET /workouts/{session['id']}.fit) for the watch"
        )
        show_workout_file(self.console, monday, event, path)

    # --- the athlete's runs -----------------------------------------------------------------------------

    def _planned(self, workout: dict[str, Any]) -> int:
        low, high = workout["pace"]
        return self._run(workout, workout["distance_m"], (low + high) / 2)

    def _too_fast(self, workout: dict[str, Any]) -> int:
        marathon = planner.training_paces(self._plan()["vdot"]).marathon
        return self._run(workout, workout["distance_m"], marathon * TOO_FAST)

    def _spike(self, workout: dict[str, Any]) -> int:
        day = date.fromisoformat(workout["date"])
        recent = [m for d, m, _ in self.runs if day - timedelta(days=SPIKE_WINDOW_DAYS) <= d < day]
        low, high = workout["pace"]
        return self._run(workout, max([workout["distance_m"], *recent]) * SPIKE_FACTOR, (low + high) / 2)

    def _run(self, workout: dict[str, Any], metres: float, pace: float) -> int:
        day = date.fromisoformat(workout["date"])
        recorded = {"distance": round(metres), "moving_time": round(metres / 1000 * pace)}
        start = f"{day.isoformat()}T{RUN_AT.isoformat()}"
        activity_id = self._upload(day, start, _kind(workout), recorded, READ_AT)
        self.runs.append((day, metres, activity_id))
        return activity_id

    def _on_watch_and_phone(self, workout: dict[str, Any]) -> int:
        """The planned run, recorded on the watch and on the phone: the watch's file arrives first, then the
        phone's copy on Strava, started a little later and a little shorter (docs/sources.md)."""
        day = date.fromisoformat(workout["date"])
        low, high = workout["pace"]
        metres = float(workout["distance_m"])
        moving = round(metres / 1000 * (low + high) / 2)
        zone = self.stepper.clock.zone
        data = watch_file(day, RUN_AT, zone, metres * WATCH_DISTANCE, moving + PHONE_LATE_S)
        answer: dict[str, Any] = {}
        name = f"{day.isoformat()}-watch.fit"
        told = self.stepper.call(
            self.chapter,
            day,
            READ_AT,
            "",
            lambda: answer.update(upload_file(self.api, self.auth, name, data)),
            Via.FILE,
        )
        self._show(
            Told(told.chapter, day, import_text(answer, zone), told.decisions, told.messages, Via.FILE)
        )
        phone_start = datetime.combine(day, RUN_AT) + timedelta(seconds=PHONE_LATE_S)
        recorded = {"distance": round(metres), "moving_time": moving, "elapsed_time": moving}
        what = (
            f"the phone's recording of the same run reaches Strava (started {PHONE_LATE_S} s after the watch)"
        )
        strava_id = self._upload(day, phone_start.isoformat(), _kind(workout), recorded, PHONE_READ_AT, what)
        show_one_run(self.console, self.stepper.run(strava_id), self._workout_on(day))
        self.runs.append((day, metres, strava_id))
        return strava_id

    def _copy(self, day: date, activity_id: int) -> int:
        """The same run uploaded again by another app: the same start, distance and time."""
        original = self.admin.activity(activity_id)
        recorded = {"distance": original["distance"], "moving_time": original["moving_time"]}
        start = str(original["start_date_local"]).removesuffix("Z")
        what = "the phone app uploads the same run again"
        return self._upload(day, start, "easy", recorded, clock_time(11, 0), what)

    def _upload(
        self,
        day: date,
        start: str,
        kind: str,
        recorded: dict[str, Any],
        read_at: clock_time,
        what: str = "new run on Strava",
    ) -> int:
        """A run on `day` reaches Strava, which pushes its event; RunSmart reads it that morning."""
        created: dict[str, Any] = {}

        def push() -> None:
            created.update(
                self.admin.create_activity(
                    self.athlete_id, kind=kind, start_date_local=start, fields=recorded
                )
            )

        told = self.stepper.step(self.chapter, day, read_at, "", push)
        activity = created["activity"]
        self._show(Told(told.chapter, day, run_text(activity, what), told.decisions, told.messages))
        return int(activity["id"])

    def _edit(self, day: date, at: clock_time, event: str, push: Callable[[], Any]) -> None:
        self._show(self.stepper.step(self.chapter, day, at, event, push))

    def _show(self, told: Told) -> None:
        self.told.append(told)
        show_step(self.console, told)

    # --- the plan, as the athlete's app reads it --------------------------------------------------------

    def _plan(self) -> dict[str, Any]:
        response = requests.get(f"{self.api}/plan", headers=self.auth, timeout=30)
        response.raise_for_status()
        plan: dict[str, Any] = response.json()
        return plan

    def _monday(self, index: int) -> date:
        return self.start + timedelta(weeks=index)

    def _chapter(self, index: int, label: str) -> None:
        monday = self._monday(index)
        self.chapter = f"Week {index + 1} ({day_text(monday)}): {label}"
        self.weeks.append(WeekStory(index, label))
        self.console.rule(f"[bold]{self.chapter}")

    def _runs_of_week(self, index: int, done: set[str]) -> list[dict[str, Any]]:
        """The week's run workouts not done yet, by day, as the plan holds them now (a decision may have changed
        them)."""
        for week in self._plan()["weeks"]:
            if int(week["index"]) == index:
                todo = [dict(w) for w in week["workouts"] if w["type"] != "rest" and w["date"] not in done]
                return sorted(todo, key=lambda w: str(w["date"]))
        return []

    def _next_workout(self, index: int, done: set[str]) -> dict[str, Any]:
        todo = self._runs_of_week(index, done)
        if not todo:
            raise LookupError(f"no run left in week {index + 1}")
        return todo[0]

    def _workout_on(self, day: date) -> dict[str, Any] | None:
        """The plan's run workout of `day`, with the activities that fulfil it."""
        for week in self._plan()["weeks"]:
            for w in week["workouts"]:
                if w["date"] == day.isoformat() and w["type"] != "rest":
                    return dict(w)
        return None

    def _week(self, index: int, run: Callable[[dict[str, Any]], int], done: set[str] | None = None) -> None:
        """Every run workout of the week not in `done` (its dates), in order, as the plan holds it then."""
        done = set(done or ())
        while True:
            try:
                workout = self._next_workout(index, done)
            except LookupError:
                return
            done.add(workout["date"])
            run(workout)


def _kind(workout: dict[str, Any]) -> str:
    """The simulator's kind of activity for a planned workout (a structured session is run as a tempo)."""
    return str(workout["type"]) if workout["type"] in ("easy", "recovery", "long") else "tempo"
