"""The demo's story: one athlete, one season, told in order.

Weeks run as planned; a week missed (ill) and the plan rebuilt; easy runs too fast and the speed guard; a
long run far beyond the recent longest; then an edit, a re-type and a deletion on Strava. Every run is the
workout the plan holds for its day when the athlete runs it (read from the API just before), so what the
athlete does follows what they were told; each reaches RunSmart the morning after, as a real Strava push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock_time
from typing import Any

import requests
from rich.console import Console

import planner
from cli.demo_output import WeekStory, day_text, show_step
from cli.demo_steps import Stepper, Told
from simulator.testing import SimulatorAdmin

RUN_AT = clock_time(7, 0)
# A day's runs count once the day is over (the planner judges runs before its "today"): the story has RunSmart
# read each run early the next morning, so the decision a run causes is told beside it.
READ_AT = clock_time(5, 30)
SPIKE_FACTOR = 1.5  # the long run, against the longest run of the 30 days before it
SPIKE_WINDOW_DAYS = 30
TOO_FAST = 0.98  # easy runs at this fraction of marathon pace: faster than marathon pace
EASY_TYPES = ("easy", "recovery")
CLUB_RUN = "Easy run with the club"


def _pace(seconds_per_km: float) -> str:
    whole = round(seconds_per_km)
    return f"{whole // 60}:{whole % 60:02d}"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def run_text(activity: dict[str, Any], what: str = "new run on Strava") -> str:
    km = activity["distance"] / 1000
    moving = activity["moving_time"]
    return f'{what}: "{activity["name"]}", {km:.1f} km in {_duration(moving)} ({_pace(moving / km)} /km)'


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
        deletion of the copy, on the days after."""
        self._chapter(index, "edits on Strava (the week goes on)")
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
        self._edit(
            edits_day + timedelta(days=1),
            clock_time(9, 0),
            f"deletion on Strava: the athlete deletes the copy of the run of {day_text(day)}",
            lambda: self.admin.delete_activity(copy_id),
        )

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
        kind = workout["type"] if workout["type"] in ("easy", "recovery", "long") else "tempo"
        recorded = {"distance": round(metres), "moving_time": round(metres / 1000 * pace)}
        activity_id = self._upload(day, f"{day.isoformat()}T{RUN_AT.isoformat()}", kind, recorded, READ_AT)
        self.runs.append((day, metres, activity_id))
        return activity_id

    def _copy(self, day: date, activity_id: int) -> int:
        """The same run uploaded again by another app: the same start, distance and time."""
        original = self.admin.activity(activity_id)
        recorded = {"distance": original["distance"], "moving_time": original["moving_time"]}
        start = str(original["start_date_local"]).removesuffix("Z")
        what = "the phone app uploads the same run again"
        return self._upload(day, start, "easy", recorded, clock_time(6, 0), what)

    def _upload(
        self,
        day: date,
        start: str,
        kind: str,
        recorded: dict[str, Any],
        read_at: clock_time,
        what: str = "new run on Strava",
    ) -> int:
        """A run on `day` reaches Strava, which pushes its event; RunSmart reads it the next morning."""
        created: dict[str, Any] = {}

        def push() -> None:
            created.update(
                self.admin.create_activity(
                    self.athlete_id, kind=kind, start_date_local=start, fields=recorded
                )
            )

        told = self.stepper.step(self.chapter, day + timedelta(days=1), read_at, "", push)
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

    def _next_workout(self, index: int, done: set[str]) -> dict[str, Any]:
        """The week's next run workout as the plan holds it now (a decision may have changed it)."""
        for week in self._plan()["weeks"]:
            if int(week["index"]) == index:
                todo = [w for w in week["workouts"] if w["type"] != "rest" and w["date"] not in done]
                if todo:
                    return dict(min(todo, key=lambda w: w["date"]))
        raise LookupError(f"no run left in week {index + 1}")

    def _week(self, index: int, run: Callable[[dict[str, Any]], int]) -> None:
        done: set[str] = set()
        while True:
            try:
                workout = self._next_workout(index, done)
            except LookupError:
                return
            done.add(workout["date"])
            run(workout)
