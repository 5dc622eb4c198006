"""The athlete's plan page in a real headless browser (Debian's `chromium`, installed by `make services`).

The API runs in a uvicorn server on a free port against the real PostgreSQL; an athlete gets a plan and a run
matched to it; the page's link is issued through the API; chromium loads it at a phone's width, dumps the DOM and
takes a screenshot (kept under test-artifacts/). The DOM must hold the plan's weeks and workouts exactly as
`GET /api/v1/athletes/{id}/plan` returns them, and no log line of the server may hold the link's token. A second
test measures the laid-out page in a 375 px phone viewport (DevTools): nothing may scroll sideways.
"""

from __future__ import annotations

import io
import logging
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import responses
import uvicorn

from composition.root import Container, build
from messages import Audience
from runsmart.logs import ReadableFormatter, RedactingFilter
from runsmart.settings import Settings
from sync.budget import RedisBudget
from tests.e2e.chromium_devtools import open_page
from tests.e2e.conftest import wait_for
from tests.integration.conftest import ATHLETE_ID, SUBSCRIPTION_ID, connect_athlete
from tests.integration.test_plans_api import goal_body
from tests.integration.test_plans_pipeline import push_run
from webhooks.app import create_app

pytestmark = pytest.mark.e2e

KEY = "app-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """The server's log lines through the project's redacting root handler (runsmart/logs.py), as in
    production: uvicorn's access log included."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(ReadableFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # Whatever an earlier test in this process did to uvicorn's loggers (a dictConfig, a handler, a level),
    # here they reach the root handler as `configure_logging` makes them do in production.
    uvicorn_loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    kept = [(lg.handlers[:], lg.propagate, lg.level, lg.disabled) for lg in uvicorn_loggers]
    for lg in uvicorn_loggers:
        lg.handlers[:], lg.propagate, lg.disabled = [], True, False
        lg.setLevel(logging.NOTSET)
    yield out
    for lg, (handlers, propagate, lg_level, disabled) in zip(uvicorn_loggers, kept, strict=True):
        lg.handlers[:], lg.propagate, lg.disabled = handlers, propagate, disabled
        lg.setLevel(lg_level)
    root.handlers[:] = saved
    root.setLevel(level)


@pytest.fixture
def container(e2e_db: str, broker_url: str) -> Iterator[Container]:
    settings = Settings(
        env="test",
        database_url=e2e_db,
        strava_client_id=1234,
        strava_client_secret="client-secret-for-tests",  # type: ignore[arg-type]
        strava_verify_token="verify-token-for-tests",  # type: ignore[arg-type]
        strava_subscription_id=SUBSCRIPTION_ID,
        api_keys=KEY,  # type: ignore[arg-type]
    )
    client = redis.Redis.from_url(broker_url)
    prefix = f"test:{uuid.uuid4().hex}"
    yield build(settings, budget=RedisBudget(client, prefix=prefix))
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def api(container: Container, server_log: io.StringIO) -> Iterator[str]:
    port = free_port()
    container.settings.public_base_url = f"http://127.0.0.1:{port}"
    app = create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=60, what="the API to listen")
    yield container.settings.public_base_url
    server.should_exit = True
    thread.join(timeout=30)


def athlete_with_plan_and_a_matched_run(api: str, container: Container) -> dict[str, Any]:
    base = f"{api}/api/v1/athletes/{ATHLETE_ID}"
    connect_athlete(container)
    assert httpx.put(f"{base}/plan", json=goal_body(), headers=AUTH, timeout=60).status_code == 200
    first = next(w for w in httpx.get(f"{base}/plan", headers=AUTH).json()["weeks"][0]["workouts"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as strava:
        event = push_run(
            container, strava, date.fromisoformat(first["date"]), 501, distance_m=first["distance_m"]
        )
        assert container.events.process(event).outcome == "synced"
    plan = httpx.get(f"{base}/plan", headers=AUTH, timeout=60).json()
    assert isinstance(plan, dict)
    assert plan["weeks"][0]["workouts"][0]["activity_ids"] == [501]
    return plan


def chromium(*args: str, profile: Path) -> str:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class PlanDom(HTMLParser):
    """The weeks (data-week-start) and workout rows (data-workout-id, data-date) in document order, with each
    row's text."""

    def __init__(self) -> None:
        super().__init__()
        self.weeks: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self._row: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-week-start"):
            self.weeks.append(str(a["data-week-start"]))
        if tag == "tr" and a.get("data-workout-id"):
            self._row = {
                "week": self.weeks[-1],
                "id": a["data-workout-id"],
                "date": a["data-date"],
                "text": "",
            }
            self.rows.append(self._row)
        if tag in ("script", "iframe", "img"):
            raise AssertionError(f"the page must load nothing and run nothing: <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row["text"] += data


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is missing: `make services` installs it (as root)")
def test_the_plan_page_in_a_browser_shows_the_plan_as_the_api_returns_it(
    api: str, container: Container, server_log: io.StringIO, tmp_path: Path
) -> None:
    plan = athlete_with_plan_and_a_matched_run(api, container)
    issued = httpx.post(f"{api}/api/v1/athletes/{ATHLETE_ID}/plan-page-link", headers=AUTH, timeout=60)
    assert issued.status_code == 200, issued.text
    url = issued.json()["url"]
    token = url.rsplit("/", 1)[1]

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "plan_page_390.png"
    screenshot.unlink(missing_ok=True)
    chromium(
        f"--screenshot={screenshot}", "--window-size=390,1200", "--hide-scrollbars", url, profile=tmp_path
    )
    whole = ARTIFACTS / "plan_page_390_whole.png"  # the whole page, to look at its lower sections
    chromium(f"--screenshot={whole}", "--window-size=390,7000", "--hide-scrollbars", url, profile=tmp_path)
    dom = PlanDom()
    dom.feed(chromium("--dump-dom", "--window-size=390,1200", url, profile=tmp_path))
    print(f"\nplan page screenshots: {screenshot} {whole}")

    assert screenshot.stat().st_size > 10_000  # a rendered page, not an empty frame
    # Every week and every workout of the API's plan, each under its own week; the current and coming weeks
    # come first, then the past ones.
    assert sorted(dom.weeks) == sorted(w["start"] for w in plan["weeks"])
    assert {(r["week"], r["id"], r["date"]) for r in dom.rows} == {
        (week["start"], w["id"], w["date"]) for week in plan["weeks"] for w in week["workouts"]
    }
    assert len(dom.rows) == sum(len(week["workouts"]) for week in plan["weeks"])
    coming = [w["start"] for w in plan["weeks"] if w["start"] >= plan["weeks"][1]["start"]]
    assert dom.weeks[: len(coming)] == coming
    rows = {r["id"]: r["text"] for r in dom.rows}
    reader = Audience.of(None, plan["timezone"])  # the athlete's units: metric unless they chose miles
    for week in plan["weeks"]:
        for w in week["workouts"]:
            if w["type"] != "rest":
                assert reader.distance(w["distance_m"]) in rows[w["id"]]
    matched = plan["weeks"][0]["workouts"][0]
    assert f"{reader.distance(matched['distance_m'])} in" in rows[matched["id"]]  # the run matched to it

    log = server_log.getvalue()
    assert "GET /p/[redacted]" in log  # the access log saw the page's requests...
    assert token not in log  # ...and no line holds the token


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is missing: `make services` installs it (as root)")
def test_the_plan_page_fits_a_phone_without_scrolling_sideways(
    api: str, container: Container, tmp_path: Path
) -> None:
    athlete_with_plan_and_a_matched_run(api, container)
    url = httpx.post(f"{api}/api/v1/athletes/{ATHLETE_ID}/plan-page-link", headers=AUTH, timeout=60).json()[
        "url"
    ]
    assert CHROMIUM is not None
    with open_page(CHROMIUM, url, tmp_path, width=375, height=800) as page:
        # Every collapsed week opened: their tables must fit as well.
        opened = page.evaluate(
            "document.querySelectorAll('details').forEach(d => d.open = true); "
            "document.querySelectorAll('details[open]').length"
        )
        assert opened == 2  # the later weeks and the past weeks
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        scripts = page.evaluate("document.scripts.length")
    assert widths[1] == 375
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
    assert scripts == 0
