"""`make demo` runs in CI too: one athlete's season, told in order, on the embedded default (SQLite, filesystem
broker, simulator, the intervals.icu stand-in), end to end. The demo's printout is checked against what the
webhook receiver got, what the database holds, what the intervals.icu stand-in received and the FIT workout file
it saved, each counted or decoded on its own."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import fitdecode
import pytest
from rich.console import Console
from sqlalchemy import select

import planner
from cli.demo import DEMO_SECRET, run_demo
from notify.receiver import Receiver
from planner.reasons import ChangeCode
from planner.scorecard import WEEK_VOLUME_FACT
from simulator.intervals_icu_serve import StandIn
from store.db import engine_for, session_factory
from store.models import Activity, ActivityCopy, StravaEvent
from store.plan_models import ConnectorConnection, Plan, PlanChange, PlanDecision, PlanMatch, PlanVersion

pytestmark = pytest.mark.e2e

WEEKS_AS_PLANNED = 2
CHAPTERS = (
    "as planned",
    "missed (ill)",
    "back: the plan rebuilds",
    "easy runs too fast",
    "long-run spike",
    "edits on Strava",
    "a new watch: one run, two sources",
    "the coming week, on the watch",
)
NEW_WATCH, COMING_WEEK = CHAPTERS[-2:]
# docs/sources.md#one-run-one-activity: two copies are the same run within these tolerances.
SAME_RUN_START_S = 300
SAME_RUN_DISTANCE_SHARE = 0.10
SPEED_RESOLUTION = 0.0005  # m/s: FIT stores speed targets in mm/s
EDITS = ("edit on Strava", "re-type on Strava", "deletion on Strava")
REBUILDS = {"return_after_break", "volume_rebuild"}
NAMES_A_FILE_OR_SECTION = re.compile(r"\.md\b|§|\.py\b")
HEADING = re.compile(r"Week \d+ \(\w{3} \d{2} \w{3}\): (?P<label>.+?)\s*─")
EVENT_ROW = re.compile(r"^\w{3} \d{2} \w{3} event ", re.MULTILINE)
TABLE_ROW = re.compile(
    r"^│\s*(?P<week>\d+)\s*│\s*(?P<start>\w{3} \d{2} \w{3})\s*│\s*(?P<story>[^│]*?)\s*│"
    r"\s*(?P<planned>[\d.]+)\s*│\s*(?P<done>[\d.]+)\s*│$"
)


@dataclass(frozen=True)
class Demo:
    printed: str
    webhooks: list[tuple[dict[str, Any], bool | None]]  # (envelope, verified), in order of arrival
    database_url: str
    calendars: dict[str, list[dict[str, Any]]]  # the intervals.icu stand-in's events, by its athlete id


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    workdir = tmp_path_factory.mktemp("demo") / "demo"
    out = io.StringIO()
    with Receiver(secret=DEMO_SECRET) as receiver, StandIn() as icu:
        console = Console(file=out, width=120)
        assert (
            run_demo(weeks=WEEKS_AS_PLANNED, workdir=workdir, receiver=receiver, console=console, icu=icu)
            == 0
        )
        webhooks = [(message.json(), message.verified) for message in receiver.webhooks()]
        calendars = {athlete: icu.events(athlete) for athlete in list(icu.world.keys)}
    return Demo(out.getvalue(), webhooks, f"sqlite:///{(workdir / 'runsmart.db').resolve()}", calendars)


def _athlete_text(data: dict[str, Any]) -> list[str]:
    """Every text the athlete reads in a notification: its message (and a coalesced one's others), its reasons."""
    texts = [str(reason) for reason in data.get("reasons") or ()]
    for message in [data.get("message"), *(data.get("messages") or ())]:
        if isinstance(message, dict):
            texts += [str(message.get("headline", "")), str(message.get("body", ""))]
            texts += [str(detail) for detail in message.get("details") or ()]
    return [text for text in texts if text]


def _table(printed: str) -> list[dict[str, str]]:
    return [m.groupdict() for line in printed.splitlines() if (m := TABLE_ROW.match(line.strip()))]


def _week_start(database_url: str, week: str) -> Any:
    with session_factory(engine_for(database_url))() as session:
        start = session.scalars(select(Plan)).one().start
    return start + timedelta(weeks=int(week) - 1)


def _chapter_week(printed: str, label: str) -> str:
    """The week number the heading of the chapter `label` names."""
    found = re.search(rf"Week (\d+) \(\w{{3}} \d{{2}} \w{{3}}\): {re.escape(label)}", printed)
    assert found, label
    return found.group(1)


def _active_plan(database_url: str) -> tuple[Plan, dict[str, Any]]:
    """The active plan and its current version's plan, as GET /plan serves it (planner.plan_to_dict)."""
    with session_factory(engine_for(database_url))() as session:
        plan = session.scalars(select(Plan).where(Plan.active.is_(True))).one()
        version = session.scalars(
            select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.version == plan.version)
        ).one()
        return plan, dict(version.plan)


def _workouts(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for week in plan["weeks"] for w in week["workouts"]]


def test_the_story_is_told_in_order(demo: Demo) -> None:
    told = [m["label"] for m in HEADING.finditer(demo.printed)]
    assert [next(c for c in CHAPTERS if label.startswith(c)) for label in told] == [
        "as planned"
    ] * WEEKS_AS_PLANNED + list(CHAPTERS[1:])
    last_chapter = demo.printed.index("edits on Strava")
    positions = [demo.printed.index(edit, last_chapter) for edit in EDITS]
    assert positions == sorted(positions)
    with session_factory(engine_for(demo.database_url))() as session:
        days = [a.local_date for a in session.scalars(select(Activity).order_by(Activity.id))]
        aspects = [e.aspect_type for e in session.scalars(select(StravaEvent).order_by(StravaEvent.id))]
    # Pushed in the story's order: no activity was created for an earlier day than the one before it.
    assert days == sorted(days)
    assert [aspect for aspect in aspects if aspect != "create"] == ["update", "update", "delete"]
    # Every run is Strava's (the watch's file merged into Strava's copy), besides the copy deleted again.
    assert aspects.count("create") == len(days) + 1


def test_every_message_arrived_signed_and_names_no_file_or_section(demo: Demo) -> None:
    assert demo.webhooks
    assert all(verified for _, verified in demo.webhooks)
    assert "INVALID" not in demo.printed
    for envelope, _ in demo.webhooks:
        texts = _athlete_text(envelope["data"])
        assert texts, envelope["type"]
        for text in texts:
            assert not NAMES_A_FILE_OR_SECTION.search(text), text


def test_one_plan_updated_message_per_decision_that_changed_future_workouts(demo: Demo) -> None:
    with session_factory(engine_for(demo.database_url))() as session:
        plan = session.scalars(select(Plan)).one()
        # A revision is stored only with a plan version whose future workouts changed; version 1 is the new plan.
        revisions = list(
            session.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id, PlanChange.version > 1))
        )
    updates = [envelope["data"] for envelope, _ in demo.webhooks if envelope["type"] == "plan.updated"]
    new_plan = [data for data in updates if data.get("version") == 1]
    assert len(new_plan) == 1
    # One message per plan version that changed future workouts (one event may make or revise two decisions,
    # as the long-run spike does), and every revision named by exactly one message, the one of its version.
    assert len(updates) - len(new_plan) == len({r.version for r in revisions})
    announced = [
        (int(data["version"]), str(d["id"]))
        for data in updates
        if data.get("version") != 1
        for d in data.get("decisions") or ()
    ]
    assert sorted(announced) == sorted((r.version, r.change_id) for r in revisions)
    # The story's decisions at least: the rebuild, the speed guard, the long-run spike.
    codes = {r.code for r in revisions}
    assert codes >= {"intensity_reduced", "run_spike"}
    assert codes & REBUILDS


def test_the_missed_week_has_nothing_done_and_the_rebuild_follows(demo: Demo) -> None:
    rows = {row["story"]: row for row in _table(demo.printed)}
    missed = rows["missed (ill)"]
    assert float(missed["done"]) == 0.0
    assert float(missed["planned"]) > 0
    # The first event after the missed week (the athlete's first run back) brings the rebuild.
    back = demo.printed.index("back: the plan rebuilds")
    first, following = [m.start() for m in EVENT_ROW.finditer(demo.printed, back)][:2]
    first_event = demo.printed[first:following]
    assert re.search(r"decision\s+(return after break|volume rebuild)", first_event), first_event
    with session_factory(engine_for(demo.database_url))() as session:
        decided = list(session.scalars(select(PlanDecision)))
    missed_monday = _week_start(demo.database_url, missed["week"])
    assert any(d.code in REBUILDS and d.week_start == missed_monday for d in decided), decided
    # The run that brought it was the week's first: the week back still holds the volume the decision names
    # (docs/science.md#past-is-history), and the athlete, running as told, ran exactly that.
    decision = next(d for d in decided if d.code in REBUILDS and d.week_start == missed_monday)
    named_km = float(decision.change["facts"][WEEK_VOLUME_FACT[ChangeCode(decision.code)]]) / 1000
    back_week = next(row for row in _table(demo.printed) if row["story"] == "back: the plan rebuilds")
    assert float(back_week["planned"]) == pytest.approx(named_km, abs=0.15), (back_week, named_km)


def test_the_plan_table_agrees_with_the_story(demo: Demo) -> None:
    rows = _table(demo.printed)
    assert {row["story"] for row in rows} >= set(CHAPTERS)
    assert [row["story"] for row in rows[:WEEKS_AS_PLANNED]] == ["as planned"] * WEEKS_AS_PLANNED
    for row in rows:
        planned, done = float(row["planned"]), float(row["done"])
        if row["story"] in ("as planned", "back: the plan rebuilds", "easy runs too fast", NEW_WATCH):
            # Every run as long as the plan said; the run from the watch and from Strava counted once.
            assert done == pytest.approx(planned, abs=0.15), row
        elif row["story"] == "missed (ill)":
            assert done == 0.0, row
        elif row["story"] == "long-run spike":
            assert done > planned, row
        else:  # the week of the re-typed run (a walk, not a run), and the weeks to come
            assert done < planned, row
    # Its done km are the runs the database holds for each week (neither the re-typed run nor the deleted copy).
    with session_factory(engine_for(demo.database_url))() as session:
        activities = list(session.scalars(select(Activity)))
    for row in rows:
        monday = _week_start(demo.database_url, row["week"])
        week = [a for a in activities if a.is_run and monday <= a.local_date < monday + timedelta(days=7)]
        assert float(row["done"]) == pytest.approx(sum(a.distance_m for a in week) / 1000, abs=0.15), row


def test_the_plan_page_link_is_printed_and_the_demo_did_not_wait(demo: Demo) -> None:
    # run_demo returned although nobody pressed Enter: standard input is not a terminal under pytest.
    assert re.search(r"plan page: http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_\-]{20,}", demo.printed)


def test_the_watchs_file_and_stravas_copy_of_one_run_are_one_activity(demo: Demo) -> None:
    chapter = demo.printed.index(NEW_WATCH)
    imported = re.compile(r"POST /activities\): 201 imported as activity (?P<id>-\d+)").search(
        demo.printed, chapter
    )
    arrived = demo.printed.find("the phone's recording of the same run reaches Strava", chapter)
    merged = re.compile(r"2 copies, one activity \((?P<id>\d+)\)").search(demo.printed, chapter)
    assert imported, "the file import's answer is printed"
    assert merged, "the one run the two copies became is printed"
    assert arrived > 0
    assert imported.start() < arrived < merged.start()  # the file first, then Strava's copy, then the one run
    file_first, strava_id = int(imported["id"]), int(merged["id"])
    with session_factory(engine_for(demo.database_url))() as session:
        assert session.get(Activity, file_first) is None  # the run took Strava's id
        run = session.get(Activity, strava_id)
        assert run is not None
        copies = list(session.scalars(select(ActivityCopy).where(ActivityCopy.activity_id == strava_id)))
        same_day = list(
            session.scalars(
                select(Activity).where(
                    Activity.athlete_id == run.athlete_id, Activity.local_date == run.local_date
                )
            )
        )
        matched = list(session.scalars(select(PlanMatch).where(PlanMatch.activity_id == strava_id)))
        created = session.scalars(
            select(StravaEvent).where(StravaEvent.object_id == strava_id, StravaEvent.aspect_type == "create")
        ).all()
    assert len(created) == 1  # Strava's copy came from Strava's push
    assert sorted((c.source, c.role) for c in copies) == [("file_fit", "whole"), ("strava", "whole")]
    assert [a.id for a in same_day] == [strava_id]  # one activity that day, not two
    assert len(matched) == 1  # one workout fulfilled, once
    # The two devices disagree as two devices do: a start some seconds apart and a little more distance on
    # the watch, within the same-run tolerances.
    watch, phone = sorted(copies, key=lambda c: c.source)
    skew = abs((watch.start_date_local - phone.start_date_local).total_seconds())
    assert 0 < skew <= SAME_RUN_START_S
    assert (
        0
        < abs(watch.distance_m - phone.distance_m)
        <= SAME_RUN_DISTANCE_SHARE * max(watch.distance_m, phone.distance_m)
    )
    assert run.distance_m == phone.distance_m  # Strava's figures win (the default source priority)


def _decoded_workout(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the workout message, its steps) of a FIT workout file, read with fitdecode (not the demo's decoder)."""
    workout: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields if f.value is not None}
                if frame.name == "workout":
                    workout = fields
                elif frame.name == "workout_step":
                    steps.append(fields)
    return workout, steps


def _run_order(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps in the order the watch runs them: a repeat step sends it back to the step it names."""
    out: list[tuple[int, dict[str, Any]]] = []
    for index, step in enumerate(steps):
        if step["duration_type"] == "repeat_until_steps_cmplt":
            body = [s for start, s in out if start >= step["duration_step"]]
            out += [(index, s) for _ in range(int(step["repeat_steps"]) - 1) for s in body]
        else:
            out.append((index, step))
    return [s for _, s in out]


def _planned_order(w: dict[str, Any]) -> list[tuple[str, float, tuple[float, float] | None]]:
    """(intensity, metres or seconds, pace range) of every step of a structured session as the plan holds it:
    warm-up, each rep with its recovery between reps (and between sets), cool-down (docs/workouts.md#steps)."""
    out: list[tuple[str, float, tuple[float, float] | None]] = [("warmup", w["warmup_m"], None)]
    sets = [r for r in w["reps"] if r["count"] > 0]
    for number, rep in enumerate(sets):
        for k in range(rep["count"]):
            out.append(("interval", rep["distance_m"], tuple(rep["pace"])))  # type: ignore[arg-type]
            if rep["recovery_s"] > 0 and (k < rep["count"] - 1 or number < len(sets) - 1):
                out.append(("recovery", rep["recovery_s"], None))
    return [*out, ("cooldown", w["cooldown_m"], None)]


def test_the_weeks_structured_session_is_a_fit_file_with_the_plans_steps(demo: Demo) -> None:
    saved = re.search(r"(?P<path>\S+\.fit): FIT workout", demo.printed[demo.printed.index(COMING_WEEK) :])
    assert saved, "the demo names the workout file it saved"
    path = Path(saved["path"])
    plan_row, plan = _active_plan(demo.database_url)
    (w,) = [w for w in _workouts(plan) if w["id"] == path.stem]
    monday = plan_row.start + timedelta(weeks=int(_chapter_week(demo.printed, COMING_WEEK)) - 1)
    assert monday <= date.fromisoformat(w["date"]) < monday + timedelta(days=7)  # the coming week's
    assert w["reps"]
    assert w["warmup_m"] > 0
    assert w["cooldown_m"] > 0
    workout, steps = _decoded_workout(path)
    assert workout["sport"] == "running"
    assert workout["num_valid_steps"] == len(steps)
    easy = planner.training_paces(plan["vdot"]).easy
    ran = _run_order(steps)
    planned = _planned_order(w)
    assert [s["intensity"] for s in ran] == [intensity for intensity, _, _ in planned]
    for step, (intensity, amount, pace) in zip(ran, planned, strict=True):
        if intensity == "recovery":
            assert step["duration_time"] == pytest.approx(amount, abs=0.001)
            assert step["target_type"] == "open"
            continue
        assert step["duration_distance"] == pytest.approx(amount, abs=0.01)
        fast, slow = pace if pace is not None else sorted(easy)
        assert step["target_type"] == "speed"
        # The target holds the planned range (a single pace is widened a little so the watch does not nag).
        assert step["custom_target_speed_high"] >= 1000 / fast - SPEED_RESOLUTION
        assert step["custom_target_speed_low"] <= 1000 / slow + SPEED_RESOLUTION
    # The demo printed every step it read, in file order (a repeat's steps once, under "n ×").
    printed = re.findall(r"^\s+step\s+(.+?) \(", demo.printed, re.MULTILINE)
    names = [s["wkt_step_name"] for s in steps if "wkt_step_name" in s]
    assert printed == names


def test_the_stand_in_holds_exactly_the_coming_weeks_workouts(demo: Demo) -> None:
    connected = re.search(r"intervals\.icu calendar (?P<id>i\d+)", demo.printed)
    assert connected
    events = demo.calendars[connected["id"]]
    plan_row, plan = _active_plan(demo.database_url)
    monday = plan_row.start + timedelta(weeks=int(_chapter_week(demo.printed, COMING_WEEK)) - 1)
    week = {
        w["id"]: w
        for w in _workouts(plan)
        if w["type"] != "rest" and monday <= date.fromisoformat(w["date"]) < monday + timedelta(days=7)
    }
    assert week
    assert sorted(e["external_id"] for e in events) == sorted(f"runsmart-{plan_row.id}-{i}" for i in week)
    for event in events:
        w = week[event["external_id"].removeprefix(f"runsmart-{plan_row.id}-")]
        assert event["start_date_local"].startswith(w["date"])
        assert (event["category"], event["type"]) == ("WORKOUT", "Run")
        assert event["distance"] == pytest.approx(w["distance_m"], abs=1)
        assert event["description"]
        assert not event["workout_doc"]["unparsed"]  # every line of the workout text read as a step
        assert event["name"] in demo.printed
    with session_factory(engine_for(demo.database_url))() as session:
        connection = session.scalars(select(ConnectorConnection)).one()
    assert (connection.status, connection.synced_plan_id, connection.synced_version) == (
        "active",
        plan_row.id,
        plan_row.version,
    )
