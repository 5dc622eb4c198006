"""The plan page's templates and view model without a database: every template renders, text is escaped, the
athlete never reads an internal code, the CSP's style hash matches the page's one <style>, and the colours meet
WCAG AA (the pairs and ratios stated in webhooks/templates/plan_page.css)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

import planner
from messages import Audience, Units
from webhooks import plan_page, plan_page_view

TODAY = date(2026, 12, 5)  # a Saturday
MONDAY = TODAY - timedelta(days=TODAY.weekday())


def workout(day: date, kind: str = "easy", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"w{day:%Y%m%d}",
        "date": day.isoformat(),
        "type": kind,
        "distance_m": 8000.0,
        "duration_s": 2880.0,
        "pace": [321.0, 363.0],
        "warmup_m": 0.0,
        "reps": [],
        "cooldown_m": 0.0,
        "strides": 0,
        "note": "",
        "run_walk": None,
        "moved_from": None,
        "status": "planned",
        "ratio": None,
        "colour": None,
        "activity_ids": [],
        "manual": False,
        **extra,
    }


def week(index: int, workouts: list[dict[str, Any]], changes: tuple[str, ...] = ()) -> dict[str, Any]:
    start = MONDAY + timedelta(weeks=index - 1)
    return {
        "index": index,
        "start": start.isoformat(),
        "phase": "base",
        "planned_km": 8.0 * len(workouts),
        "done_km": 0.0,
        "colour": None,
        "planned_hard_share": 0.0,
        "done_hard_share": 0.0,
        "changes": list(changes),
        "workouts": workouts,
    }


def detail(reason: str = "You ran less last week, so this week is shorter.") -> dict[str, Any]:
    last = MONDAY - timedelta(weeks=1)
    tempo = workout(
        MONDAY + timedelta(days=8),
        "threshold",
        reps=[{"count": 3, "distance_m": 1600.0, "pace": [270.0, 276.0], "recovery_s": 60.0, "label": "T"}],
        warmup_m=2000.0,
        cooldown_m=1500.0,
    )
    matched = workout(last + timedelta(days=1), status="completed", colour="green", activity_ids=[501])
    weeks = [
        week(0, [matched, workout(last + timedelta(days=3), status="missed", colour="red")]),
        week(
            1,
            [workout(MONDAY + timedelta(days=1), status="missed", colour="red"), workout(TODAY)],
            ("cut@w1",),
        ),
        week(2, [tempo, workout(MONDAY + timedelta(days=13), "long")]),
        week(3, [workout(MONDAY + timedelta(days=16))]),
    ]
    weeks[0]["done_km"] = 8.1
    change = {
        "id": "cut@w1",
        "code": "volume_cut_after_missed_week",
        "week_start": MONDAY.isoformat(),
        "reason": reason,
        "version": 2,
        "undone": False,
        "active": True,
        "workouts": [],
    }
    return {
        "today": TODAY.isoformat(),
        "paused_until": None,
        "goal": {"kind": "race", "date": "2027-03-01", "distance_m": 10000.0, "time_s": None},
        "weeks": weeks,
        "changes": [change],
    }


RUN = planner.Activity(
    id=501,
    athlete_id=1,
    sport_type="Run",
    start_local=datetime(2026, 11, 24, 7, 0),
    distance_m=8100.0,
    moving_time_s=2673,
    elapsed_time_s=2700,
)


METRIC, IMPERIAL = Audience(Units.METRIC, "Europe/Paris"), Audience(Units.IMPERIAL, "America/New_York")


def rendered(d: dict[str, Any] | None = None, audience: Audience = METRIC) -> str:
    page = plan_page_view.page(d or detail(), [RUN], audience)
    return plan_page.render(
        "plan_page.html", page=page, calendar_path="tok/calendar.ics", files_path="tok/workouts"
    )


def test_every_plan_page_template_renders() -> None:
    names = sorted(
        p.name
        for p in (resources.files("webhooks") / "templates").iterdir()
        if p.name.startswith("plan_page") and p.name.endswith(".html")
    )
    assert names == [
        "plan_page.html",
        "plan_page_base.html",
        "plan_page_macros.html",
        "plan_page_no_plan.html",
        "plan_page_not_found.html",
    ]
    pages = {
        "plan_page.html": rendered(),
        "plan_page_no_plan.html": plan_page.render("plan_page_no_plan.html"),
        "plan_page_not_found.html": plan_page.render("plan_page_not_found.html"),
    }
    for name, html in pages.items():
        assert html.startswith("<!doctype html>"), name
        assert '<html lang="en">' in html, name
        assert 'name="viewport"' in html, name
        assert "<main>" in html, name
        assert "<script" not in html, name
    # The layout and the macros are exercised by the pages above; they render on their own too.
    assert "<title> · RunSmart</title>" in plan_page.render("plan_page_base.html")
    assert plan_page.render("plan_page_macros.html").strip() == ""


def test_the_page_shows_weeks_workouts_runs_and_reasons_but_never_a_code() -> None:
    html = rendered()
    for w in (wk for wk in detail()["weeks"] for wk in wk["workouts"]):
        assert f'data-workout-id="{w["id"]}" data-date="{w["date"]}"' in html
    assert "Tue 24 Nov: 8.1 km in 45 min, 5:30/km" in html  # the matched run: date, distance, pace
    assert "5:21–6:03/km" in html  # the target pace range
    assert "3 × 1600 m at 4:30–4:36/km (tempo pace), 1 min easy jog between" in html
    assert "You ran less last week, so this week is shorter." in html
    assert "volume_cut_after_missed_week" not in html
    assert "cut@w1" not in html
    assert re.search(r"<th scope=\"col\"", html)
    assert re.search(r"<th scope=\"row\"", html)


def test_this_week_and_the_next_come_first_later_and_past_weeks_are_collapsed() -> None:
    html = rendered()
    starts = re.findall(r'data-week-start="([^"]+)"', html)
    weeks = [w["start"] for w in detail()["weeks"]]
    assert starts == [weeks[1], weeks[2], weeks[3], weeks[0]]
    later, past = html.index("later week"), html.index("past week")
    assert html.rindex("<details>", 0, later) < html.index(f'data-week-start="{weeks[3]}"')
    assert html.index(f'data-week-start="{weeks[0]}"') > past
    assert "This week</span>" in html


def test_the_athletes_text_is_escaped() -> None:
    html = rendered(detail(reason='<img src=x onerror="alert(1)"> & more'))
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; more" in html


def test_the_chart_draws_planned_and_done_per_week() -> None:
    html = rendered()
    chart = html[html.index('<svg class="chart"') : html.index("</svg>", html.index('<svg class="chart"'))]
    assert chart.count('class="bar-planned"') == 4
    assert chart.count('class="bar-done"') == 4
    assert 'role="img"' in chart
    assert "Week 1: 16 km planned, 8.1 km run." in chart


def test_an_imperial_reader_sees_miles_and_minutes_per_mile_everywhere() -> None:
    html = rendered(audience=IMPERIAL)
    assert "Tue 24 Nov: 5 mi in 45 min, 8:51/mi" in html
    assert "8:37–9:44/mi" in html
    assert "3 × 1600 m at 7:15–7:24/mi (tempo pace)" in html
    assert "Week 1: 9.9 mi planned, 5 mi run." in html
    text = re.sub(r"<[^>]+>", " ", html[html.index("<body>") :])
    assert not re.search(r"\bkm\b|/km", text)


def test_the_csp_allows_exactly_the_pages_own_style() -> None:
    html = rendered()
    style = html[html.index("<style>") + len("<style>") : html.index("</style>")]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = plan_page.content_security_policy()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert 'style="' not in html  # inline style attributes would be blocked by the hash-only policy


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def palettes() -> list[dict[str, str]]:
    css = plan_page.stylesheet()
    blocks = re.findall(r":root\s*\{([^}]*)\}", css)
    assert len(blocks) == 2  # light, then dark (prefers-color-scheme)
    return [dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", block)) for block in blocks]


TEXT_PAIRS = [
    ("text", "page"),
    ("text", "card"),
    ("muted", "card"),
    ("muted", "page"),
    ("link", "card"),
    ("link", "page"),
    ("card", "done"),  # the "This week" tag
    ("ok-text", "ok-bg"),
    ("warn-text", "warn-bg"),
    ("bad-text", "bad-bg"),
]
GRAPHIC_PAIRS = [("done", "card"), ("planned", "card"), ("planned", "page")]


@pytest.mark.parametrize("scheme", [0, 1], ids=["light", "dark"])
def test_the_colours_meet_wcag_aa(scheme: int) -> None:
    colours = palettes()[scheme]
    for fg, bg in TEXT_PAIRS:
        assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)
    for fg, bg in GRAPHIC_PAIRS:
        assert contrast(colours[fg], colours[bg]) >= 3.0, (fg, bg)


def test_week_titles_and_counts_read_plainly() -> None:
    def title(index: int, start: date) -> str:
        end = start + timedelta(days=6)
        return plan_page_view.phrase(METRIC, "week_title", week_index=index, week_start=start, week_end=end)

    assert title(0, date(2026, 11, 30)) == "Week 1 · 30 Nov – 6 Dec"
    assert title(1, date(2026, 12, 7)) == "Week 2 · 7 – 13 Dec"
    assert plan_page_view.phrase(METRIC, "later_weeks", count=1) == "Show the 1 later week"
    assert plan_page_view.phrase(METRIC, "past_weeks", count=3) == "Show 3 past weeks"
