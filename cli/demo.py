"""`make demo`: one athlete's season, told in order, through the whole product on this machine.

The athlete connects through OAuth, their app asks for a plan, and then they run: weeks as planned, a week
missed and the rebuild, easy runs too fast and the speed guard, a long-run spike, an edit, a re-type and a
deletion; a week on a new watch, whose FIT file of the long run merges with the phone's copy on Strava; then the
coming week goes to the watch through intervals.icu (a local stand-in) and its structured session is downloaded
as a FIT workout file. Every run is a real Strava push event from the simulator (or the watch's file through the
API), handled by the real API process and a real Celery worker; each is printed beside the decision it caused
and the message the athlete's app received (a signed webhook, verified by a local receiver). Then the plan week
by week, and the athlete's plan page.

Embedded SQLite instead of PostgreSQL, kombu's filesystem transport instead of Redis, the Strava simulator instead
of strava.com, the intervals.icu stand-in (served from this process) instead of intervals.icu; but the same API
process, the same Celery tasks in a real worker process, the same migrations.
The season lies in the past: the processes judge the plan by the story's clock (RUNSMART_DEMO_CLOCK_FILE, read
by composition.root.plan_clock), which the demo moves from one event to the next.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import requests
from rich.console import Console

from cli.demo_output import day_text, plan_table, show_step, summary
from cli.demo_steps import Stepper, StoryClock, Told, Via
from cli.demo_story import Story
from cli.demo_watch import ICU_KEY, Devices
from cli.stack import Stack
from notify.receiver import Receiver
from simulator.intervals_icu_serve import StandIn
from store.migrate import upgrade

WORKDIR = Path(".demo")
DEMO_SECRET = "whsec_" + base64.b64encode(b"demo-only-webhook-secret-32bytes").decode()
DEMO_API_KEY = "demo-api-key-not-for-production"
# Short, so the demo does not wait long for each plan update; the demo waits for the message itself.
COALESCE_WINDOW_S = 1.0
STORY_WEEKS_AFTER_PLANNED = 6  # missed, back, too fast, spike, edits, the new watch
RACE_WEEKS_AFTER_STORY = 5
# The calendar gets the coming week: the sync sends the runs from "today" over this many days.
CALENDAR_HORIZON_DAYS = 7


def _plan_request(start: date, timezone: str, weeks: int) -> dict[str, Any]:
    race = start + timedelta(weeks=weeks + STORY_WEEKS_AFTER_PLANNED + RACE_WEEKS_AFTER_STORY, days=5)
    return {
        # Runs on Monday, Wednesday, Friday and the long run on Sunday.
        "athlete": {
            "weekly_km": 35,
            "runs_per_week": 4,
            "run_days": [0, 2, 4, 6],
            "vdot": 45,
            "long_run_km": 12,
        },
        "goal": {"kind": "race", "date": race.isoformat(), "distance_m": 10000},
        "start": start.isoformat(),
        "timezone": timezone,
    }


def _make_plan(api: str, auth: dict[str, str], body: dict[str, Any]) -> None:
    requests.put(f"{api}/plan", json=body, headers=auth, timeout=30).raise_for_status()


def _plan(api: str, auth: dict[str, str]) -> dict[str, Any]:
    response = requests.get(f"{api}/plan", headers=auth, timeout=30)
    response.raise_for_status()
    plan: dict[str, Any] = response.json()
    return plan


def _plan_page_link(api: str, auth: dict[str, str]) -> str:
    response = requests.post(f"{api}/plan-page-link", headers=auth, timeout=30)
    response.raise_for_status()
    return str(response.json()["url"])


def _timezone(stack: Stack, athlete_id: int) -> str:
    for athlete in stack.simulator.admin.athletes():
        if int(athlete["id"]) == athlete_id:
            return str(athlete["timezone"])
    return "UTC"


def _icu_athlete(icu: StandIn, athlete_id: int) -> str:
    """The athlete's account at the intervals.icu stand-in ("i" and digits, as intervals.icu's ids)."""
    icu_athlete = f"i{athlete_id}"
    icu.add_athlete(icu_athlete, ICU_KEY)
    return icu_athlete


def _stack(workdir: Path, url: str, receiver: Receiver, clock_file: Path, icu: StandIn) -> Stack:
    return Stack(
        database_url=url,
        broker_url="filesystem://",
        log_dir=workdir.resolve(),
        workers=1,
        worker_pool="solo",
        simulator_args=["--weeks", "0", "--hold-season"],  # no seeded season: the story makes every run
        extra_env={
            "RUNSMART_APP_WEBHOOK_URL": f"{receiver.url}/webhooks",
            "RUNSMART_APP_WEBHOOK_SECRET": DEMO_SECRET,
            "RUNSMART_API_KEYS": DEMO_API_KEY,
            "RUNSMART_DEMO_CLOCK_FILE": str(clock_file.resolve()),
            "RUNSMART_NOTIFY_COALESCE_WINDOW_S": str(COALESCE_WINDOW_S),
            # The watch's file is kept with the demo's database, not in the folder the demo runs from.
            "RUNSMART_IMPORT_FILES_DIR": str((workdir / "activity-files").resolve()),
            "RUNSMART_INTERVALS_ICU_BASE_URL": icu.base_url,
            "RUNSMART_CONNECTOR_HORIZON_DAYS": str(CALENDAR_HORIZON_DAYS),
        },
    )


def _tell(story: Story, weeks: int) -> None:
    for index in range(weeks):
        story.as_planned(index)
    story.missed(weeks)
    story.back(weeks + 1)
    story.too_fast(weeks + 2)
    story.spike(weeks + 3)
    story.edits(weeks + 4)
    story.new_watch(weeks + 5)
    story.coming_week(weeks + 6)  # this week: the story's last Monday is this Monday


def _season(
    console: Console, stack: Stack, athlete_id: int, receiver: Receiver, devices: Devices, weeks: int
) -> Story:
    """The plan, then the season on it; every step printed as it happens."""
    api = f"{stack.api_url}/api/v1/athletes/{athlete_id}"
    auth = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    timezone = _timezone(stack, athlete_id)
    this_monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    start = this_monday - timedelta(weeks=weeks + STORY_WEEKS_AFTER_PLANNED)  # the runs end last week
    clock = StoryClock(Path(stack.env["RUNSMART_DEMO_CLOCK_FILE"]), timezone)
    eve = start - timedelta(days=1)
    clock.set(eve, clock_time(18, 0))
    body = _plan_request(start, timezone, weeks)
    _make_plan(api, auth, body)
    stepper = Stepper(
        api=api,
        auth=auth,
        database_url=stack.database_url,
        athlete_id=athlete_id,
        receiver=receiver,
        clock=clock,
        wait_pushed=stack.simulator.admin.wait_deliveries,
    )
    console.rule("[bold]The plan")
    asked = (
        f"the athlete's app asks for a plan (PUT /plan): a 10 km race on {day_text(date.fromisoformat(body['goal']['date']))}, "
        f"from {day_text(start)}, 4 runs a week"
    )
    created: Told = stepper.settle("The plan", eve, asked, Via.PLAN)
    story = Story(
        stepper, stack.simulator.admin, athlete_id, api, auth, start, console, devices, told=[created]
    )
    show_step(console, created)
    _tell(story, weeks)
    console.print(plan_table(_plan(api, auth), story.weeks))
    summary(console, story.told)
    return story


def _serve_plan_page(console: Console, stack: Stack, athlete_id: int) -> None:
    api = f"{stack.api_url}/api/v1/athletes/{athlete_id}"
    link = _plan_page_link(api, {"Authorization": f"Bearer {DEMO_API_KEY}"})
    requests.get(link, timeout=30).raise_for_status()  # the page answers before anyone is sent to it
    console.print(f"\nthe athlete's plan page: [link={link}]{link}[/link]")
    if sys.stdin.isatty():  # never in CI or a test: only a person at a terminal can press Enter
        console.print("serving it until you press Enter …")
        with contextlib.suppress(EOFError):  # Ctrl-D: as good as Enter
            input()


def run_demo(
    weeks: int = 2,
    keep: bool = False,
    workdir: Path = WORKDIR,
    receiver: Receiver | None = None,
    console: Console | None = None,
    icu: StandIn | None = None,
) -> int:
    """`weeks`: the weeks the athlete runs as planned before the story's missed week. `receiver`: a started
    receiver that verifies with DEMO_SECRET (a test's, to count what arrived); else the demo starts its own.
    `console`: where it prints (a test's, to read it back); else standard output. `icu`: a started
    intervals.icu stand-in (a test's, to read the calendar back); else the demo starts its own."""
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    if workdir.exists() and not keep:
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(workdir / 'runsmart.db').resolve()}"
    upgrade(url)
    console.print(f"[bold]RunSmart Sync demo[/] — database {url}, broker filesystem://{workdir}/broker")
    with contextlib.ExitStack() as started:  # what the demo starts itself, it stops
        listening = receiver if receiver is not None else started.enter_context(Receiver(secret=DEMO_SECRET))
        calendar = icu if icu is not None else started.enter_context(StandIn())
        with _stack(workdir, url, listening, workdir / "story-clock", calendar) as stack:
            console.print(
                f"simulator {stack.simulator.base_url} · API {stack.api_url} · worker pid {stack.processes['worker0'].pid}"
            )
            athlete_id = stack.connect_athlete()
            console.print(
                f"connected athlete {athlete_id} through OAuth (/strava/connect → simulator → /strava/callback)"
            )
            console.print(
                "RunSmart reads each run a couple of hours after it; a run counts the day it is done.\n"
            )
            devices = Devices(calendar, _icu_athlete(calendar, athlete_id), workdir)
            _season(console, stack, athlete_id, listening, devices, weeks)
            _serve_plan_page(console, stack, athlete_id)
    console.print(f"logs and database in {workdir}/ (run again with --keep to keep them between runs)")
    return 0
