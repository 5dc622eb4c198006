"""Representative values for every template of the catalogue, and the notifications as the athlete reads them.

The tests render every template with each of its examples in both unit systems (tests/unit/test_messages_catalogue.py);
docs/notifications.md shows ``notification_examples`` as rendered here, and a test keeps the two equal. A new
template needs its examples here: the tests fail for a template without any.

Facts are in SI units, as the planner writes them (planner/reasons.py). Where a count decides a plural, the
examples hold a 1 and a larger count.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import planner
from messages import catalogue, combined, digest, notifications, reasons, workouts
from messages import reps as rep_words
from messages.audience import Audience, Units
from messages.catalogue import Message
from planner.plan import RunWalk, workout_id
from planner.reasons import ChangeCode, NoticeCode
from planner.rep_scoring import RepScore, score_laps

MONDAY = date(2026, 11, 23)
TUESDAY = MONDAY + timedelta(days=1)
EASY_PACE = (321.0, 363.0)


def workout(day: date, kind: str = "easy", km: float = 10.0, **extra: Any) -> planner.Workout:
    pace = {"recovery": (363.0, 381.0), "threshold": (270.0, 276.0)}.get(kind, EASY_PACE)
    return planner.Workout(
        id=workout_id(day),
        date=day,
        type=planner.WorkoutType(kind),
        distance_m=km * 1000,
        duration_s=round(km * (pace[0] + pace[1]) / 2),
        pace=pace,
        **extra,
    )


def tempo(day: date, count: int = 3) -> planner.Workout:
    reps = (planner.RepSet(count, 1600.0, (270.0, 276.0), 60.0, "T"),)
    return workout(day, "threshold", 3.5 + 1.6 * count, warmup_m=2000.0, cooldown_m=1500.0, reps=reps)


INTERVAL_BAND = (232.0, 238.0)  # 3:52–3:58/km


def intervals(
    day: date, count: int = 8, metres: float = 1000.0, recovery_s: float = 180.0
) -> planner.Workout:
    reps = (planner.RepSet(count, metres, INTERVAL_BAND, recovery_s, "I"),)
    km = 4.0 + count * metres / 1000
    w = workout(day, "intervals", km, warmup_m=2000.0, cooldown_m=2000.0, reps=reps)
    return replace(w, pace=INTERVAL_BAND)


def lap(metres: float, pace: float) -> planner.Lap:
    seconds = round(metres / 1000 * pace)
    return planner.Lap(metres, seconds, seconds)


def session_laps(
    w: planner.Workout, paces: list[float], jogs: list[float] | None = None
) -> list[planner.Lap]:
    """Warm-up, each rep at its pace with a recovery jogged at ``jogs`` (s/km) after it but the last, cool-down."""
    rep = w.reps[0]
    out = [lap(w.warmup_m, 330.0)]
    for i, pace in enumerate(paces):
        out.append(lap(rep.distance_m, pace))
        if i < len(paces) - 1 and rep.recovery_s:
            jog = (jogs or [])[i] if i < len(jogs or []) else 400.0
            out.append(lap(rep.recovery_s / jog * 1000, jog))
    return [*out, lap(w.cooldown_m, 330.0)]


def rep_score(w: planner.Workout, laps: list[planner.Lap]) -> RepScore:
    score = score_laps(w, laps, EASY_PACE)
    assert score is not None  # every example workout has reps
    return score


def rep_scores() -> list[RepScore]:
    """A score of every shape the sentence takes (all inside, misses at the end, the start and in between,
    reps not found, a single block, recoveries run too fast, and each reason the reps cannot be scored)."""
    eight, two = intervals(TUESDAY), intervals(TUESDAY, 2, 1600.0, 120.0)
    twelve = intervals(TUESDAY, 12, 400.0, 90.0)
    block = tempo(TUESDAY, 1)
    mixed = replace(
        eight,
        reps=(
            planner.RepSet(2, 1000.0, INTERVAL_BAND, 180.0, "I"),
            planner.RepSet(2, 400.0, (215.0, 221.0), 90.0, "R"),
        ),
    )
    return [
        rep_score(eight, session_laps(eight, [235.0] * 8)),
        rep_score(eight, session_laps(eight, [235.0] * 6 + [223.0, 223.0])),
        rep_score(
            eight, session_laps(eight, [228.0, 235, 242, 235, 246, 235, 235, 235], [400.0] * 5 + [300.0] * 2)
        ),
        rep_score(eight, session_laps(eight, [235.0] * 8, [300.0] + [400.0] * 6)),
        rep_score(eight, session_laps(eight, [235.0, 241.0, 235.0, 235.0, 235.0])),
        rep_score(eight, session_laps(eight, [242.0])),
        rep_score(eight, session_laps(eight, [225.0] * 3 + [235.0] * 5)),
        rep_score(twelve, session_laps(twelve, [235.0] + [243.0] * 11)),
        rep_score(two, session_laps(two, [235.0, 235.0])),
        rep_score(two, session_laps(two, [226.0, 224.0], [300.0])),
        rep_score(block, session_laps(block, [273.0])),
        rep_score(block, session_laps(block, [282.0])),
        rep_score(
            mixed,
            [
                lap(2000, 330),
                lap(1000, 235),
                lap(450, 400),
                lap(1000, 236),
                lap(220, 400),
                lap(400, 210),
                lap(220, 400),
                lap(400, 218),
                lap(2000, 330),
            ],
        ),
        rep_score(eight, [lap(8000, 300.0)]),
        rep_score(eight, [lap(1000, 300.0)] * 8 + [lap(400, 300.0)]),
        rep_score(eight, [lap(3000, 300.0), lap(5000, 300.0)]),
    ]


CHANGE_FACTS: dict[ChangeCode, list[dict[str, Any]]] = {
    ChangeCode.HISTORY_CAPPED: [
        {
            "run_date": "2026-11-29",
            "run_type": "long",
            "run_m": 16000,
            "limit_m": 13200,
            "longest_recent_m": 12000,
            "stated_long_m": 16000,
        },
        {
            "run_date": "2026-11-29",
            "run_type": "long",
            "run_m": 13240,
            "limit_m": 13200,
            "longest_recent_m": 12000,
            "stated_long_m": 16000,
        },
    ],
    ChangeCode.RETURN_AFTER_BREAK: [
        {
            "days_off": days,
            "first_day_off_date": "2026-11-09",
            "last_day_off_date": (date(2026, 11, 9) + timedelta(days=days - 1)).isoformat(),
            "before_week_m": 40000.0,
            "return_share": 0.5,
            "first_week_m": 20000.0,
            "reduced_weeks": weeks,
            "last_reduced_week_m": 34800.0,
            "ramp_max_share": 0.15,
            "vdot_before": 47.0,
            "vdot_after": vdot,
        }
        for days, weeks, vdot in ((12, 4, 45.8), (6, 1, 47.0))
    ],
    ChangeCode.VOLUME_REBUILD: [
        {
            "planned_m": 40000.0,
            "done_m": 20000.0,
            "share_done": 0.5,
            "next_week_m": next_m,
            "instead_of_m": 44000.0,
            "floored": floored,
            "floor_m": 11000.0,
            "over_done_share": 0.15,
            "spike_trimmed": trimmed,
            "ramp_weeks": ramp,
            "ramp_last_m": 30400.0 if ramp else 0.0,
            "ramp_max_share": 0.15,
            "holds_at_pre_miss": holds,
            "pre_miss_m": 40000.0,
        }
        for next_m, floored, ramp, holds, trimmed in (
            (23000.0, False, 2, True, False),
            (11000.0, True, 1, False, False),
            (21000.0, False, 0, False, True),
        )
    ],
    ChangeCode.RUN_SPIKE: [
        {
            "run_date": "2026-11-24",
            "run_m": 18000,
            "estimated": estimated,
            "moving_s": 6300,
            "longest_before_m": 12000,
            "over_share": 0.5,
            "recovery_days": days,
            "long_cap_m": 13200,
        }
        for estimated, days in ((False, 2), (True, 1))
    ],
    ChangeCode.INTENSITY_REDUCED: [
        {
            "speed_s": speed,
            "budget_s": 1500,
            "over_share": over,
            "level": level,
            "fast_easy_runs": fast,
            "overdone_sessions": sessions,
            "hard_sessions_done": done,
            "hard_sessions_planned": planned,
            "week_in_progress": going_on,
            "quality_next": quality,
            "quality_after": quality,
        }
        for speed, over, level, fast, sessions, done, planned, going_on, quality in (
            (2700, 0.04, 1, 1, 0, 1, 1, False, True),
            (2700, 0.1, 2, 2, 1, 2, 1, True, True),
            (2700, 0.2, 3, 0, 0, 3, 2, False, True),
            (2700, 0.2, 3, 1, 2, 1, 0, False, False),
            (1200, 0.0, 1, 1, 1, 1, 1, False, True),
            (1200, 0.0, 1, 2, 0, 1, 1, True, False),
        )
    ],
    ChangeCode.SPIKE_CAPPED: [
        {
            "run_date": "2026-12-06",
            "run_type": "long",
            "run_m": 19000,
            "limit_m": 17600,
            "longest_recent_m": 16000,
        },
        {
            "run_date": "2026-12-06",
            "run_type": "easy",
            "run_m": 12030,
            "limit_m": 12000,
            "longest_recent_m": 10909,
        },
    ],
    ChangeCode.REVISE_GOAL: [
        {"lost_days": 12, "window_days": 56, "race_date": "2027-03-01"},
    ],
    ChangeCode.RACE_OUT_OF_REACH: [
        {"race_m": 42195.0, "race_date": "2027-03-01", "longest_m": 18000, "ratio": 2.344},
    ],
    ChangeCode.FITNESS_UP: [
        {
            "evidence": evidence,
            "evidence_date": "2026-11-22",
            "evidence_m": 10000,
            "evidence_s": 2520,
            "evidence_pace_s_per_km": 252.0,
            "vdot_before": 45.0,
            "vdot_after": 46.5,
            "threshold_before_s_per_km": 276.0,
            "threshold_after_s_per_km": 270.0,
            "max_rise_points": 2.0,
            "rise_window_days": 28,
        }
        for evidence in ("race", "workout")
    ],
}

NOTICE_FACTS: dict[NoticeCode, list[dict[str, Any]]] = {
    NoticeCode.GOAL_VERDICT: [
        {
            "verdict": v,
            "distance_m": 21097.5,
            "goal_s": goal,
            "predicted_s": 6014.2,
            "vdot": 45.0,
            "faster_share": f,
        }
        for v, goal, f in (
            ("comfortable", 6300.0, -0.0475),
            ("realistic", 6000.0, 0.0024),
            ("ambitious", 5700.0, 0.0522),
            ("out_of_reach", 5100.0, 0.152),
        )
    ],
    NoticeCode.BREAK_ASSUMED: [{"assumed_break_days": 14}, {"assumed_break_days": 1}],
    NoticeCode.BREAK_BEFORE_PLAN: [
        {
            "break_days": days,
            "cross_training": cross,
            "vdot_before": 47.0,
            "vdot_after": after,
            "return_weeks": 2,
            "return_share": 0.5,
            "weekly_m": 40000.0,
        }
        for days, cross, after in ((21, True, 45.1), (1, False, 47.0))
    ],
    NoticeCode.RETURN_FROM_ZERO: [{"return_weeks": 6, "base_week_m": 15000.0}],
    NoticeCode.LONG_RUN_ASSUMED: [{"long_run_m": 10000, "share_of_week": 0.25}],
    NoticeCode.SHORT_PLAN: [{"weeks": 4, "weeks_needed": 6}, {"weeks": 1, "weeks_needed": 6}],
    NoticeCode.RACE_TOO_LONG: [
        {"race_m": 42195.0, "ratio": 2.6, "longest_m": 16200, "weekly_m": 25000.0, "needed_long_m": 21098}
    ],
    NoticeCode.UNSAFE_OFFER: [{"peak_week_m": 38000.0, "longest_m": 16200}],
}


def change(
    code: ChangeCode, facts: dict[str, Any], diffs: tuple[planner.WorkoutDiff, ...] = ()
) -> planner.Change:
    return planner.Change(
        id=f"{code.value}@{MONDAY.isoformat()}",
        code=code.value,
        week_start=MONDAY,
        reason="The planner's own words, never shown while the facts are there.",
        workouts=diffs,
        facts=facts,
    )


REBUILD_DIFFS = (
    planner.WorkoutDiff(
        workout(MONDAY + timedelta(days=8)), workout(MONDAY + timedelta(days=8), "recovery", 6.0)
    ),
    planner.WorkoutDiff(tempo(MONDAY + timedelta(days=10)), tempo(MONDAY + timedelta(days=10), 2)),
    planner.WorkoutDiff(
        workout(MONDAY + timedelta(days=13), "long", 16.0), workout(MONDAY + timedelta(days=13), "long", 12.0)
    ),
)
REBUILD = change(ChangeCode.VOLUME_REBUILD, CHANGE_FACTS[ChangeCode.VOLUME_REBUILD][0], REBUILD_DIFFS)
SPIKE = change(ChangeCode.RUN_SPIKE, CHANGE_FACTS[ChangeCode.RUN_SPIKE][0])


def _variants(items: dict[Any, list[dict[str, Any]]], prefix: str) -> dict[str, list[dict[str, Any]]]:
    return {
        f"{prefix}/{code.value}": [{"facts": planner.Facts(f), "week_start": MONDAY} for f in facts]
        for code, facts in items.items()
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
WEEK = {"index": 0, "planned_km": 40.0, "done_km": 31.2}
PAGE_CASES = (
    ({"kind": "race", "date": date(2027, 3, 1), "distance_m": 21097.5}, 1, "active"),
    ({"kind": "race", "date": date(2027, 3, 1), "distance_m": None}, 2, "undone"),
    ({"kind": "recovery", "date": date(2027, 1, 4), "distance_m": None}, 3, "withdrawn"),
    ({"kind": "maintenance", "date": date(2027, 1, 4), "distance_m": None}, 1, ""),
)


def _page_phrases(goal: dict[str, Any], count: int, status: str) -> dict[str, Any]:
    """Every phrase of the plan page at once (messages/templates/plan_page.txt)."""
    return {
        "goal": goal,
        "paused_until": date(2026, 12, 1),
        "week_index": 2,
        "week_start": MONDAY,
        "week_end": MONDAY + timedelta(days=6),
        "planned_m": 40000.0,
        "done_m": 31200.0,
        "run": RUN if count != 2 else replace(RUN, distance_m=0.0),
        "run_pace": 330.0 if count != 2 else None,
        "status": status,
        "active": status == "active",
        "count": count,
        "top_m": 50000.0,
        "weeks": [WEEK] * count,
        "done_weeks": [WEEK] * count,
    }


def notice_of(code: NoticeCode) -> planner.Notice:
    return planner.Notice(code.value, "The planner's own words.", NOTICE_FACTS[code][0])


def _combined_examples(audience: Audience, lines: list[str]) -> list[dict[str, Any]]:
    """Several versions in one message: each way of saying since when, a new plan opening it, many lines."""
    said = [reasons.change_message(audience, c) for c in (REBUILD, SPIKE)]
    goal = planner.Goal(planner.GoalKind.RACE, date(2027, 3, 1), 21097.5)
    new_plan = notifications.plan_updated(audience, cause="generated", goal=goal, start=MONDAY).message
    since = [
        None,
        *({"days": days, "part": part, "day": MONDAY} for days in (0, 1) for part in PARTS_OF_DAY),
        {"days": 3, "part": "morning", "day": MONDAY},
    ]
    return [
        {
            "opening": new_plan if opening else None,
            "versions": versions,
            "since": when,
            "reasons": said[:count],
            "details": [line for message in said[:count] for line in message.details],
            "lines": [] if opening else lines,
            "more_lines": more,
        }
        for opening, versions, when, count, more in (
            *((False, 2, when, 2, 0) for when in since),
            (False, 5, None, 1, 3),
            (True, 2, None, 1, 0),
        )
    ]


PARTS_OF_DAY = ("night", "morning", "afternoon", "evening")


def _matched_examples() -> list[dict[str, Any]]:
    """A steady run matched: each distance colour, each pace verdict (and none), one run and several, by hand."""
    cases = (
        ("easy", 10100.0, "green", False, 1, 330.0, "within"),
        ("easy", 7000.0, "red", True, 1, 290.0, "faster"),
        ("easy", 9000.0, "", False, 1, None, ""),
        ("recovery", 6000.0, "green", False, 2, 400.0, "slower"),
        ("long", 16000.0, "yellow", True, 3, 300.0, "faster"),
        ("race_pace", 10000.0, "green", False, 1, 280.0, "faster"),
    )
    return [
        {
            "workout": workout(TUESDAY, kind, 10.0),
            "done_m": done,
            "colour": colour,
            "manual": manual,
            "runs": runs,
            "pace": pace,
            "pace_verdict": verdict,
            "reps": None,
        }
        for kind, done, colour, manual, runs, pace, verdict in cases
    ]


def _change_examples() -> list[dict[str, Any]]:
    """From → to lines: every aspect said alone and all at once, on workouts with and without each part."""
    easy, ceiling = workout(TUESDAY), workout(TUESDAY, note="easy; keep it slower than 5:21/km")
    noted = workout(TUESDAY, note="; ".join(["no hard sessions while you build back up", *NOTES]))
    walk = workout(TUESDAY, run_walk=RunWalk(8, 120.0, 60.0), strides=1)
    sides = (
        (easy, workout(TUESDAY, "recovery", 6.0), []),
        (None, easy, []),
        (easy, None, []),
        (easy, workout(TUESDAY + timedelta(days=1)), []),
        *((tempo(TUESDAY), tempo(TUESDAY, 2), [aspect]) for aspect in workouts.ASPECTS),
        (tempo(TUESDAY), noted, list(workouts.ASPECTS)),
        (easy, walk, list(workouts.ASPECTS)),
        (easy, ceiling, ["notes"]),
        (workout(TUESDAY, "rest", 0.0), workout(TUESDAY, "rest", 0.0), list(workouts.ASPECTS)),
    )
    return [
        {
            "before": b,
            "after": a,
            "shown": shown,
            "notes_before": workouts.note_context(b.note) if b else {},
            "notes_after": workouts.note_context(a.note) if a else {},
        }
        for b, a, shown in sides
    ]


# Every note the planner writes that the athlete reads (messages/workouts.py NOTE_RULES), as the planner writes it.
NOTES = (
    "easy instead of a hard session: last week had more speed than planned",
    "shortened: last week had more speed than planned",
    "held back after a sudden long run",
    "easy and short after a long one",
    "recovery run: take it very easy",
    "110 % spike rule",
    "the week is too small for a hard session",
)


def template_examples(audience: Audience) -> dict[str, list[dict[str, Any]]]:
    """Each template's name → the contexts it is rendered with for `audience` (the messages a template embeds
    are rendered for the same reader)."""
    long_run = workout(MONDAY + timedelta(days=6), "long", 16.0)
    strides = workout(TUESDAY, strides=6)
    one_stride = workout(TUESDAY, strides=1, note="easy; keep it slower than 5:21/km")
    reason = reasons.change_message(audience, REBUILD)
    notice = reasons.notice_message(audience, notice_of(NoticeCode.SHORT_PLAN))
    text = workouts.describe(audience, tempo(TUESDAY))
    lines = [line.text for line in notifications.workout_lines(audience, None, [REBUILD])]
    empty: list[dict[str, Any]] = [{}]
    scores = rep_scores()
    return {
        **_variants(CHANGE_FACTS, "changes"),
        **_variants(NOTICE_FACTS, "notices"),
        "change_without_facts": [{"reason": "You ran less last week, so next week is shorter."}],
        "notice_without_facts": [{"text": "No current long run given: the plan assumes one."}],
        "workout": [
            {"workout": w, "note_kinds": kinds, "ceiling_s_per_km": ceiling}
            for w, kinds, ceiling in (
                (tempo(TUESDAY), [], None),
                (tempo(TUESDAY, 1), ["speed_shorter"], None),
                (strides, [], None),
                (one_stride, ["return_easy", "speed_easy", "speed_recovery", "spike_recovery"], 321),
                (long_run, ["spike_long_held", "spike_capped", "week_too_small"], None),
                (workout(TUESDAY, run_walk=RunWalk(8, 120.0, 60.0)), [], None),
                (workout(TUESDAY, "rest", 0.0), [], None),
            )
        ],
        "workout_change": _change_examples(),
        "calendar_event": [
            {
                "workout": tempo(TUESDAY),
                "text": text,
                "reasons": [reason],
                "link": "https://example.org/w.fit",
            },
            {
                "workout": workout(TUESDAY, "rest", 0.0),
                "text": workouts.describe(audience, workout(TUESDAY, "rest", 0.0)),
                "reasons": [],
                "link": "",
            },
        ],
        "plan_updated": [
            {
                "kind": "new_plan",
                "reasons": [],
                "notices": [notice],
                "goal": goal,
                "start": MONDAY,
                "lines": [],
                "more_lines": 0,
            }
            for goal in (
                {"kind": "race", "date": date(2027, 3, 1), "distance_m": 21097.5},
                {"kind": "race", "date": date(2027, 3, 1), "distance_m": None},
                {"kind": "recovery", "date": date(2027, 1, 4), "distance_m": None},
                {"kind": "maintenance", "date": date(2027, 1, 4), "distance_m": None},
            )
        ]
        + [
            {
                "kind": kind,
                "reasons": said,
                "notices": [],
                "goal": {},
                "start": None,
                "lines": shown,
                "more_lines": more,
            }
            for kind, said, shown, more in (
                ("decisions", [reason], lines, 0),
                ("decisions", [reason, reason], lines, 1),
                ("decisions", [reason], lines, 3),
                ("undo", [], [], 0),
                ("resume", [], [], 0),
                ("update", [], [], 0),
            )
        ],
        "plan_updated_combined": _combined_examples(audience, lines),
        "decision_ended": [
            {"undone": undone, "week_start": MONDAY, "earlier": earlier}
            for undone in (True, False)
            for earlier in (reason.headline, "")
        ],
        "workout_matched": _matched_examples()
        + [
            {
                "workout": intervals(TUESDAY),
                "done_m": 12000.0,
                "colour": "green",
                "manual": False,
                "runs": 1,
                "pace": None,
                "pace_verdict": "",
                "reps": rep_words.describe(audience, score),
            }
            for score in scores[1:2] + scores[-2:-1]
        ],
        "rep_score": [rep_words.context(audience, rep_words.fields(score)) for score in scores],
        "workout_missed": [{"workout": workout(TUESDAY), "reasons": said} for said in ([], [reason])],
        "week_digest": [
            {
                "week_start": MONDAY,
                "planned_m": planned,
                "done_m": done,
                "planned_runs": runs,
                "done_runs": did,
                "next_week": upcoming,
                "decisions": said,
            }
            for planned, done, runs, did, upcoming, said in (
                (40000.0, 31200.0, 4, 3, digest.NextWeek(MONDAY + timedelta(days=7), 23000.0, 3), [reason]),
                (10000.0, 10000.0, 1, 1, digest.NextWeek(MONDAY + timedelta(days=7), 8000.0, 1), []),
                (0.0, 5000.0, 0, 0, None, []),
            )
        ],
        "connection_revoked": empty,
        "plan_page": [_page_phrases(goal, count, status) for goal, count, status in PAGE_CASES],
    }


AUDIENCES = (Audience(Units.METRIC, "Europe/London"), Audience(Units.IMPERIAL, "America/Los_Angeles"))
# The examples' decisions judge the week of MONDAY: read during it, the Monday after, and a month on (the
# weeks are then named by their dates, as when the reader's day is not known).
READ_ON = (TUESDAY, MONDAY + timedelta(days=7), MONDAY + timedelta(days=30))
READERS = AUDIENCES + tuple(audience.on(day) for audience in AUDIENCES for day in READ_ON)


# --- the notifications as the athlete reads them (docs/notifications.md) --------------------------------


def notification_examples(audience: Audience) -> Iterator[tuple[str, str, Message]]:
    """(event type, situation, message) for every athlete-facing notification, read the Monday after the week
    the examples' decisions judged (when such a notification is sent)."""
    audience = audience.on(MONDAY + timedelta(days=7))
    plan = planner.generate_plan(
        planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45),
        planner.Goal(planner.GoalKind.RACE, date(2027, 3, 1), 21097.5, 6000.0),
        MONDAY,
    )
    new_plan = notifications.plan_updated(
        audience, cause="generated", notices=plan.notices, goal=plan.goal, start=plan.start
    )
    yield "plan.updated", "a new plan", new_plan.message
    yield (
        "plan.updated",
        "after an under-done week",
        notifications.plan_updated(audience, cause="updated", changes=[REBUILD]).message,
    )
    yield (
        "plan.updated",
        "after a sudden long run",
        notifications.plan_updated(audience, cause="updated", changes=[SPIKE]).message,
    )
    yield (
        "plan.updated",
        "a decision no longer needed",
        notifications.plan_updated(
            audience, cause="updated", ended=[notifications.Ended(REBUILD, undone=False)]
        ).message,
    )
    yield "plan.updated", "three versions within minutes, coalesced into one message", coalesced(audience)
    matched = workout(TUESDAY)
    yield (
        "workout.matched",
        "a run done as planned",
        notifications.workout_matched(
            audience, matched, done_m=10100.0, colour="green", manual=False, done_s=10100.0 * 0.342
        ),
    )
    yield (
        "workout.matched",
        "an easy run run at marathon pace",
        notifications.workout_matched(
            audience, matched, done_m=10000.0, colour="green", manual=False, done_s=10000.0 * 0.292
        ),
    )
    session = intervals(TUESDAY)
    yield (
        "workout.matched",
        "an interval session, its reps read from the laps",
        notifications.workout_matched(
            audience,
            session,
            done_m=12000.0,
            colour="green",
            manual=False,
            reps=rep_score(session, session_laps(session, [235.0] * 6 + [223.0, 223.0])),
        ),
    )
    yield (
        "workout.matched",
        "an interval session recorded with automatic laps",
        notifications.workout_matched(
            audience,
            session,
            done_m=12000.0,
            colour="green",
            manual=False,
            reps=rep_score(session, [lap(1000, 300.0)] * 12),
        ),
    )
    yield "workout.missed", "a planned run not done", notifications.workout_missed(audience, matched)
    yield (
        "week.reviewed",
        "Monday morning, the week after",
        digest.week_digest(
            audience,
            MONDAY,
            planned_m=40000.0,
            done_m=20000.0,
            planned_runs=4,
            done_runs=2,
            next_week=digest.NextWeek(MONDAY + timedelta(days=7), 23000.0, 3),
            decisions=[REBUILD],
        ).message,
    )
    yield "connection.revoked", "the athlete disconnected Strava", notifications.connection_revoked(audience)


REBUILD_REVISED = replace(
    REBUILD, facts={**REBUILD.facts, "next_week_m": 25000.0, "done_m": 22000.0, "share_done": 0.55}
)


def coalesced(audience: Audience) -> Message:
    """A decision, its revision and another decision, written minutes apart: one message (messages/combined.py)."""
    day = MONDAY + timedelta(days=8)
    easy, recovery, shorter = workout(day), workout(day, "recovery", 6.0), workout(day, "recovery", 5.0)
    long_day = MONDAY + timedelta(days=13)
    versions = (
        (REBUILD, 1, [(easy, recovery)]),
        (REBUILD_REVISED, 2, [(recovery, shorter)]),
        (SPIKE, 1, [(workout(long_day, "long", 16.0), workout(long_day, "long", 12.0))]),
    )
    written = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    updates = []
    for minute, (decision, revision, pairs) in enumerate(versions):
        update = notifications.plan_updated(audience, cause="synced", changes=[decision], pairs=pairs)
        updates.append(
            combined.Update(
                cause="synced",
                message=update.message,
                changes=(decision,),
                decisions=((decision.id, revision, combined.ACTIVE),),
                workouts=tuple(line.as_dict() for line in update.workouts),
                created_at=written + timedelta(minutes=minute),
            )
        )
    return combined.combined(audience, updates)


def markdown() -> str:
    """The examples of docs/notifications.md, "What the athlete reads": each message in both unit systems."""
    out = []
    for audience in AUDIENCES:
        out.append(f"#### In {'kilometres' if audience.units is Units.METRIC else 'miles'}\n")
        for event_type, situation, message in notification_examples(audience):
            out.append(f"`{event_type}`, {situation}:\n")
            out.append("```text\n" + message.text() + "\n```\n")
    return "\n".join(out)


def render_all() -> Iterator[tuple[str, Audience, dict[str, Any], dict[str, str]]]:
    """Every block of every template, with each of its examples, for each reader."""
    for name in catalogue.templates():
        blocks = tuple(catalogue.template(name).blocks)
        for audience in READERS:
            for context in template_examples(audience).get(name, []):
                yield name, audience, context, catalogue.render_blocks(name, audience, blocks, **context)


BEGIN = "<!-- messages/examples.py: begin -->"
END = "<!-- messages/examples.py: end -->"


def with_examples(doc: str) -> str:
    """`doc` (docs/notifications.md) with its examples section rendered afresh."""
    head, rest = doc.split(BEGIN, 1)
    return f"{head}{BEGIN}\n{markdown()}{END}{rest.split(END, 1)[1]}"


if (
    __name__ == "__main__"
):  # python -m messages.examples [FILE]: print the examples, or rewrite FILE's section
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as f:
            text = with_examples(f.read())
        with open(sys.argv[1], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(markdown())
