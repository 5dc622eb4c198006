"""`runsmart plan replay`: the shipped example scenarios and their expected outcomes (docs/scenario.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.scenario import ScenarioError, load_scenario, parse_scenario, replay, write_examples

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
NAMES = [
    "perfect",
    "missed_week",
    "two_weeks_sick",
    "easy_too_fast",
    "extra_intervals",
    "doubles",
    "moved_workout",
    "retyped_ride",
]


def report(name: str) -> dict[str, Any]:
    return replay(load_scenario(EXAMPLES / f"{name}.json"))


def workouts(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for week in r["weeks"] for w in week["workouts"]]


def workout_on(r: dict[str, Any], day: str) -> dict[str, Any]:
    return next(w for w in workouts(r) if w["date"] == day)


def change_ids(r: dict[str, Any]) -> list[str]:
    return [c["id"] for c in r["changes"]]


def test_all_examples_are_shipped() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == sorted(NAMES)


def test_shipped_examples_match_the_generator(tmp_path: Path) -> None:
    for path in write_examples(tmp_path):
        assert json.loads(path.read_text()) == json.loads((EXAMPLES / path.name).read_text()), path.name


def test_activities_are_strava_detailed_activity_json() -> None:
    raw = json.loads((EXAMPLES / "perfect.json").read_text())
    a = raw["activities"][0]
    for key in (
        "id",
        "athlete",
        "name",
        "sport_type",
        "type",
        "start_date",
        "start_date_local",
        "timezone",
        "distance",
        "moving_time",
        "elapsed_time",
        "workout_type",
        "manual",
        "trainer",
        "laps",
        "splits_metric",
    ):
        assert key in a
    assert a["start_date_local"].endswith("Z")
    assert a["timezone"] == "(GMT+01:00) Europe/Amsterdam"


@pytest.mark.parametrize("name", NAMES)
def test_output_has_the_documented_fields(name: str) -> None:
    r = report(name)
    assert set(r) >= {"vdot", "paces", "weeks", "changes", "warnings"}
    assert set(r["paces"]) == {"E", "M", "T", "I", "R"}
    assert r["paces"]["E"][0] < r["paces"]["E"][1]
    for week in r["weeks"]:
        assert set(week) >= {"start", "phase", "planned_km", "completed_km", "workouts"}
        for w in week["workouts"]:
            assert set(w) >= {
                "date",
                "type",
                "distance_m",
                "duration_s",
                "pace_s_per_km",
                "status",
                "compliance",
                "matched_activity_ids",
            }
            if w["type"] in ("threshold", "intervals", "repetitions", "race_pace"):
                assert w["reps"]
    for c in r["changes"]:
        assert set(c) >= {"code", "reason", "workouts"}


def test_perfect_athlete() -> None:
    r = report("perfect")
    assert r["changes"] == []
    assert r["vdot"] == pytest.approx(45.26, abs=0.01)  # 10K in 45:00, docs/science.md#vdot
    done = [w for w in workouts(r) if w["status"] != "planned"]
    assert len(done) == 50
    assert {w["status"] for w in done} == {"completed"}
    assert {w["compliance"] for w in done} == {"green"}
    assert r["extra_activity_ids"] == []
    assert r["ignored_activity_ids"] == []


def test_missed_week() -> None:
    r = report("missed_week")
    assert change_ids(r) == ["volume_rebuild@2026-03-30"]
    reason = r["changes"][0]["reason"]
    week = next(w for w in r["weeks"] if w["start"] == "2026-03-30")
    # the reason gives the week's own numbers
    assert f"You ran {week['completed_km']:.0f} of {week['planned_km']:.0f} planned km last week" in reason
    assert week["compliance"] == "red"
    assert sum(w["status"] == "missed" for w in week["workouts"]) == 3
    nxt = next(w for w in r["weeks"] if w["start"] == "2026-04-06")
    assert nxt["planned_km"] < 0.5 * week["planned_km"]  # steps back, never crams the missed runs


def test_two_weeks_sick() -> None:
    r = report("two_weeks_sick")
    codes = [c["code"] for c in r["changes"]]
    assert "return_after_break" in codes
    assert "revise_goal" in codes
    assert r["vdot"] < r["base_vdot"]
    for start in ("2026-05-04", "2026-05-11"):
        week = next(w for w in r["weeks"] if w["start"] == start)
        assert {w["status"] for w in week["workouts"]} == {"missed"}
    back = next(w for w in r["weeks"] if w["start"] == "2026-05-18")
    assert not any(
        w["type"] in ("threshold", "intervals", "repetitions", "race_pace") for w in back["workouts"]
    )
    race = [w for w in workouts(r) if w["type"] == "race"]
    assert [w["date"] for w in race] == ["2026-06-21"]


def test_easy_runs_too_fast() -> None:
    r = report("easy_too_fast")
    assert change_ids(r) == ["intensity_reduced@2026-03-23"]
    assert "pace or faster" in r["changes"][0]["reason"]
    assert workout_on(r, "2026-03-30")["type"] == "recovery"
    week = next(w for w in r["weeks"] if w["start"] == "2026-03-23")
    assert week["minutes"]["threshold"] > 60


def test_extra_interval_sessions() -> None:
    r = report("extra_intervals")
    assert len(r["extra_activity_ids"]) == 2
    assert change_ids(r) == ["intensity_reduced@2026-05-04"]
    assert "4 hard sessions against 2 planned" in r["changes"][0]["reason"]
    assert r["changes"][0]["workouts"]  # the next week's workouts are eased


def test_doubles() -> None:
    r = report("doubles")
    assert r["changes"] == []
    w = workout_on(r, "2026-03-19")
    assert len(w["matched_activity_ids"]) == 2
    assert w["compliance"] == "green"
    assert r["extra_activity_ids"] == []


def test_workout_moved_by_a_day() -> None:
    r = report("moved_workout")
    assert r["changes"] == []
    w = workout_on(r, "2026-04-28")
    assert w["type"] == "threshold"
    assert w["status"] == "completed"
    raw = json.loads((EXAMPLES / "moved_workout.json").read_text())
    moved = next(a for a in raw["activities"] if a["id"] == w["matched_activity_ids"][0])
    assert moved["start_date_local"].startswith("2026-04-29")


def test_run_retyped_as_ride() -> None:
    r = report("retyped_ride")
    assert len(r["ignored_activity_ids"]) == 1
    assert workout_on(r, "2026-03-29")["status"] == "missed"
    assert change_ids(r) == ["volume_rebuild@2026-03-23"]
    week = next(w for w in r["weeks"] if w["start"] == "2026-03-23")
    assert (
        f"You ran {week['completed_km']:.0f} of {week['planned_km']:.0f} planned km"
        in r["changes"][0]["reason"]
    )
    nxt = next(w for w in r["weeks"] if w["start"] == "2026-03-30")
    assert nxt["planned_km"] < week["planned_km"]  # no rise after a week with its long run missed


def test_cli_json_matches_replay() -> None:
    path = EXAMPLES / "missed_week.json"
    result = CliRunner().invoke(app, ["plan", "replay", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(replay(load_scenario(path))))


def test_cli_table_shows_changes_with_reasons() -> None:
    result = CliRunner().invoke(
        app, ["plan", "replay", str(EXAMPLES / "missed_week.json")], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "volume_rebuild" in result.output
    assert "You ran 16 of 44 planned km" in result.output  # the numbers test_missed_week derives
    assert "2026-03-30" in result.output


def test_cli_reports_an_invalid_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"athlete": {"weekly_km": 30, "runs_per_week": 4}, "goal": {"kind": "race"}}))
    result = CliRunner().invoke(app, ["plan", "replay", str(bad)])
    assert result.exit_code == 2
    assert "invalid scenario" in result.output


def test_scenario_with_vdot_and_no_activities() -> None:
    sc = parse_scenario(
        {
            "athlete": {"weekly_km": 30, "runs_per_week": 4, "long_run_day": "sat", "vdot": 40},
            "goal": {"kind": "maintenance", "date": "2026-04-26"},
            "start": "2026-03-02",
            "as_of": "2026-03-02",
            "activities": [],
        }
    )
    r = replay(sc)
    assert r["vdot"] == 40
    assert r["changes"] == []
    assert {w["status"] for w in workouts(r)} == {"planned"}
    assert {w["date"][:10] for w in workouts(r) if w["type"] == "long"}  # long runs on Saturdays
    with pytest.raises(ScenarioError, match="recent_race"):
        parse_scenario(
            {"athlete": {"weekly_km": 30, "runs_per_week": 4}, "goal": {}, "start": "", "as_of": ""}
        )


# --- bad input: one line on stderr, exit status 2, never a traceback (docs/science.md#plausible-inputs) ---------

GOOD: dict[str, Any] = {
    "athlete": {"weekly_km": 40, "runs_per_week": 5, "vdot": 45, "long_run_km": 14},
    "goal": {"kind": "race", "distance_m": 10000, "date": "2026-05-31"},
    "start": "2026-03-02",
    "as_of": "2026-03-02",
    "activities": [],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    raw = json.loads(json.dumps(GOOD))
    *parents, key = path.split(".")
    node = raw
    for p in parents:
        node = node[p]
    node[key] = value
    return raw


BAD_SCENARIOS: dict[str, Any] = {
    "weekly_km 0 for a race": _with("athlete.weekly_km", 0),
    "weekly_km 2 for a race": _with("athlete.weekly_km", 2),
    "weekly_km 400": _with("athlete.weekly_km", 400),
    "weekly_km negative": _with("athlete.weekly_km", -5),
    "weekly_km a string": _with("athlete.weekly_km", "lots"),
    "runs_per_week 0": _with("athlete.runs_per_week", 0),
    "runs_per_week 99": _with("athlete.runs_per_week", 99),
    "vdot 0": _with("athlete.vdot", 0),
    "vdot 150": _with("athlete.vdot", 150),
    "a 1 m recent race": _with("athlete.recent_race", {"distance_m": 1, "time_s": 600}),
    "a 5K in 10:00": _with("athlete.recent_race", {"distance_m": 5000, "time_s": 600}),
    "a race with no time": _with("athlete.recent_race", {"distance_m": 5000, "time_s": 0}),
    "run_days out of range": _with("athlete.run_days", [9, -3, 100000]),
    "long_run_day 7": _with("athlete.long_run_day", 7),
    "max_hr 20": _with("athlete.max_hr", 20),
    "long_run_km 500": _with("athlete.long_run_km", 500),
    "break_days negative": _with("athlete.break_days", -1),
    "break_days 10 years": _with("athlete.break_days", 3650),
    "athlete a list": _with("athlete", [1, 2]),
    "race date before start": _with("goal.date", "2026-02-01"),
    "goal 100 years out": _with("goal.date", "2126-03-01"),
    "goal on 9999-12-31": _with("goal.date", "9999-12-31"),
    "start on 0001-01-01": _with("start", "0001-01-01"),
    "a 1 m race goal": _with("goal.distance_m", 1),
    "a race without a distance": _with("goal.distance_m", None),
    "a goal time faster than humanly possible": _with("goal.time_s", 60),
    "an unknown goal kind": _with("goal.kind", "party"),
    "a date that is not a date": _with("start", "yesterday"),
    "activities not a list": _with("activities", {"id": 1}),
    "an activity that is not an object": _with("activities", [42]),
    "a top-level list": [GOOD],
    "a top-level number": 3,
}
BAD_TEXTS: dict[str, bytes] = {
    "an empty file": b"",
    "white space only": b"   \n",
    "binary": bytes(range(256)) * 4,
    "not JSON": b"athlete: 40 km\n",
    "NaN": json.dumps(GOOD).replace('"weekly_km": 40', '"weekly_km": NaN').encode(),
    "Infinity": json.dumps(GOOD).replace('"vdot": 45', '"vdot": Infinity').encode(),
}


def _cases() -> list[tuple[str, bytes]]:
    out = [(name, json.dumps(raw).encode()) for name, raw in BAD_SCENARIOS.items()]
    return out + list(BAD_TEXTS.items())


@pytest.mark.parametrize(("name", "content"), _cases(), ids=[n for n, _ in _cases()])
def test_bad_scenarios_end_in_one_line_and_exit_status_2(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["plan", "replay", str(path)])
    assert result.exit_code == 2, (name, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, (name, result.stderr)
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output


def test_a_good_scenario_still_replays(tmp_path: Path) -> None:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD))
    result = CliRunner().invoke(app, ["plan", "replay", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["goal"]["predicted_time_s"] > 0


def test_goal_time_gets_a_numbers_first_verdict(tmp_path: Path) -> None:
    raw = _with("goal", {"kind": "race", "distance_m": 42195, "date": "2026-06-28", "time_s": 7200})
    raw["athlete"]["vdot"] = 40
    r = replay(parse_scenario(raw))
    assert r["goal"]["verdict"] == "out_of_reach"
    assert r["goal"]["predicted_time_s"] > 3.5 * 3600
    assert any(w.startswith("Goal 2:00:00 for 42.195 km: out of reach") for w in r["warnings"])
    assert r["paces"]["T"] == pytest.approx(306, abs=2)  # paces from VDOT 40, never from the goal
