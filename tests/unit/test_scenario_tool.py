"""`runsmart plan replay`: the shipped example scenarios and their expected outcomes (docs/scenario.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from runsmart.cli import app
from runsmart.scenario import ScenarioError, load_scenario, parse_scenario, replay, write_examples

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
    assert r["vdot"] == pytest.approx(45.26, abs=0.01)  # 10K in 45:00, science.md §1.1
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
    assert "You ran 17 of 47 planned km last week" in reason
    assert "steps back to 25 km" in reason
    week = next(w for w in r["weeks"] if w["start"] == "2026-03-30")
    assert week["compliance"] == "red"
    assert sum(w["status"] == "missed" for w in week["workouts"]) == 3
    nxt = next(w for w in r["weeks"] if w["start"] == "2026-04-06")
    assert nxt["planned_km"] <= 26


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
    assert "at threshold pace or faster" in r["changes"][0]["reason"]
    assert workout_on(r, "2026-03-30")["type"] == "recovery"
    week = next(w for w in r["weeks"] if w["start"] == "2026-03-23")
    assert week["minutes"]["threshold"] > 60


def test_extra_interval_sessions() -> None:
    r = report("extra_intervals")
    assert len(r["extra_activity_ids"]) == 2
    assert change_ids(r) == ["intensity_reduced@2026-05-04"]
    assert "4 hard sessions against 2 planned" in r["changes"][0]["reason"]
    assert workout_on(r, "2026-05-11")["type"] == "recovery"


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
    assert "holds at 32 km" in r["changes"][0]["reason"]


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
    assert "You ran 17 of 47 planned km" in result.output
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
