"""Coalesced `plan.updated` rows read as one message from the catalogue (messages/combined.py through
notify/coalesce.py): one headline summing them up, each decision's reason once as it stands after the last
version, each changed workout once from its first "before" to its last "after"; the machine fields are
merged as before. Payloads are built by the real builder (plans/notify.py), so the test reads what is sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import planner
from messages import Audience, examples, reasons, workouts
from messages.examples import MONDAY
from notify.coalesce import Part, merge_payloads
from plans import notify
from store.plan_models import DecisionStatus
from store.plan_models import Plan as PlanRow
from store.plan_repository import DecisionRevision
from tests.unit.messages.checks import problems

METRIC, IMPERIAL = examples.AUDIENCES
WEEK = MONDAY + timedelta(days=7)
EASY, TEMPO, LONG = WEEK + timedelta(days=1), WEEK + timedelta(days=3), WEEK + timedelta(days=6)
# 07:00 in London, where the metric reader lives; 23:00 the evening before in Los Angeles, the imperial one's.
MORNING = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def revision(change: planner.Change, number: int, status: DecisionStatus = DecisionStatus.ACTIVE) -> Any:
    return DecisionRevision(
        change.id,
        change.code,
        change.week_start,
        number,
        status,
        change.reason,
        planner.change_to_dict(change),
    )


def payload(
    audience: Audience,
    version: int,
    changes: list[planner.Change],
    revised: list[DecisionRevision],
    pairs: list[tuple[planner.Workout | None, planner.Workout | None]],
    cause: str = "synced",
) -> dict[str, Any]:
    row = PlanRow(id=7, athlete_id=2, version=version, timezone=audience.timezone)
    return notify.plan_updated_payload(
        audience.at(written(version)),  # as plans/notify.py renders it: read the moment it is written
        row,
        cause=cause,
        changes=changes,
        reasons=[c.reason for c in changes],
        decisions=revised,
        pairs=pairs,
    )


def written(version: int) -> datetime:
    return MORNING + timedelta(minutes=version)


def merged(audience: Audience, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    parts = [
        Part(n, f"plan.updated:7:v{p['version']}", p, written(p["version"])) for n, p in enumerate(payloads)
    ]
    return merge_payloads(parts, audience)


REBUILD_AGAIN = replace(
    examples.REBUILD,
    facts={**examples.REBUILD.facts, "next_week_m": 25000.0, "done_m": 22000.0, "share_done": 0.55},
)


def three_versions(audience: Audience) -> list[dict[str, Any]]:
    """v2 makes a decision (two workouts change), v3 revises it (one of them again), v4 makes another."""
    easy, recovery = examples.workout(EASY), examples.workout(EASY, "recovery", 6.0)
    shorter = examples.workout(EASY, "recovery", 5.0)
    long_run, held = examples.workout(LONG, "long", 16.0), examples.workout(LONG, "long", 12.0)
    return [
        payload(
            audience,
            2,
            [examples.REBUILD],
            [revision(examples.REBUILD, 3)],
            [(easy, recovery), (examples.tempo(TEMPO), examples.tempo(TEMPO, 2))],
        ),
        payload(audience, 3, [REBUILD_AGAIN], [revision(REBUILD_AGAIN, 4)], [(recovery, shorter)]),
        payload(audience, 4, [examples.SPIKE], [revision(examples.SPIKE, 1)], [(long_run, held)]),
    ]


def bullets(body: str) -> list[str]:
    return [line.removeprefix("• ") for line in body.splitlines() if line.startswith("• ")]


def test_one_headline_each_decision_once_as_it_stands_and_each_workout_once() -> None:
    for audience in examples.AUDIENCES:
        payloads = three_versions(audience)
        message = merged(audience, payloads)["message"]
        assert message["headline"].startswith("Your plan changed 3 times since ")
        body = message["body"]
        reader = audience.at(written(payloads[-1]["version"]))  # weeks said from the day it is sent
        latest, first = (reasons.change_message(reader, c) for c in (REBUILD_AGAIN, examples.REBUILD))
        assert body.count(latest.body) == 1
        assert first.body not in body  # the revised decision is said once, as it stands now
        assert body.count(reasons.change_message(reader, examples.SPIKE).body) == 1
        lines = bullets(body)
        days = [audience.day(day) for day in (EASY, TEMPO, LONG)]
        assert [line.split(":")[0] for line in lines] == days  # each workout once, in date order
        # The easy run, changed twice: from before the first version to after the last.
        easy = examples.workout(EASY)
        assert lines[0] == workouts.change_line(audience, easy, examples.workout(EASY, "recovery", 5.0))
        assert message["details"] == list(dict.fromkeys(message["details"]))
        text = "\n".join([message["headline"], body, *message["details"]])
        assert not problems(text, audience.units), problems(text, audience.units)


def test_the_headline_says_since_when_in_the_athletes_timezone() -> None:
    assert merged(METRIC, three_versions(METRIC))["message"]["headline"].endswith("since this morning")
    assert merged(IMPERIAL, three_versions(IMPERIAL))["message"]["headline"].endswith("since this evening")


def test_the_machine_fields_are_merged_as_before() -> None:
    payloads = three_versions(METRIC)
    data = merged(METRIC, payloads)
    assert [c["id"] for c in data["changes"]] == [examples.REBUILD.id, examples.SPIKE.id]
    assert data["changes"][0]["facts"]["next_week_m"] == 25000.0  # the latest revision
    assert data["workouts"] == [w for p in payloads for w in p["workouts"]]
    assert data["decisions"] == [d for p in payloads[1:] for d in p["decisions"]]
    assert data["messages"] == [p["message"] for p in reversed(payloads)]
    assert data["version"] == 4


def test_a_decision_made_and_ended_within_the_versions_is_not_mentioned_one_told_before_is() -> None:
    spike, rebuild = examples.SPIKE, examples.REBUILD
    pair = [(examples.workout(EASY), examples.workout(EASY, "recovery", 6.0))]
    back = [(examples.workout(EASY, "recovery", 6.0), examples.workout(EASY))]
    payloads = [
        payload(METRIC, 2, [spike], [revision(spike, 1)], pair),
        payload(
            METRIC,
            3,
            [],
            [revision(spike, 2, DecisionStatus.WITHDRAWN), revision(rebuild, 2, DecisionStatus.WITHDRAWN)],
            back,
        ),
    ]
    message = merged(METRIC, payloads)["message"]
    headline = reasons.change_message(METRIC, spike).headline
    assert headline not in message["body"]  # never told, so nothing to take back
    assert message["body"].count("no longer applies") == 1  # the rebuild, told of before
    assert "What changes" not in message["body"]  # the easy run changed and changed back


def test_a_new_plan_among_the_versions_opens_the_message() -> None:
    audience = METRIC
    new = payload(audience, 1, [], [], [], cause="generated")
    later = three_versions(audience)[2]
    message = merged(audience, [new, later])["message"]
    assert message["headline"] == new["message"]["headline"]
    assert message["body"].startswith(new["message"]["body"])
    assert reasons.change_message(audience, examples.SPIKE).body in message["body"]
    assert "What changes" not in message["body"]  # its workouts are all new to the athlete


def test_one_row_keeps_its_own_message() -> None:
    [only] = three_versions(METRIC)[:1]
    assert merged(METRIC, [only])["message"] == only["message"]


def test_a_payload_not_of_the_documented_shape_still_leaves_one_message() -> None:
    odd = [
        {
            "version": v,
            "workouts": [{"workout_id": "w1", "before": {"date": "2026-12-01"}, "after": {"distance_m": v}}],
            "message": {"headline": f"H{v}", "body": "b"},
        }
        for v in (2, 3)
    ]
    data = merged(METRIC, odd)
    assert data["message"] == odd[-1]["message"]
    assert data["workouts"] == [p["workouts"][0] for p in odd]  # the machine fields merged as ever


def test_a_decision_a_version_left_unsaid_is_left_unsaid_when_merged() -> None:
    """A revision whose workouts are all behind the athlete rides along in `changes` but was not said."""
    stale = examples.REBUILD
    day = WEEK + timedelta(days=2)  # none of the stale decision's workouts
    assert all(d.after.date != day for d in stale.workouts)
    easy, recovery = examples.workout(day), examples.workout(day, "recovery", 6.0)
    spike = replace(examples.SPIKE, workouts=(planner.WorkoutDiff(easy, recovery),))
    shorter = [(recovery, examples.workout(day, "recovery", 5.0))]
    first = payload(METRIC, 2, [spike], [revision(spike, 1)], [(easy, recovery)])
    second = payload(METRIC, 3, [stale, spike], [revision(stale, 4), revision(spike, 2)], shorter)
    reader = METRIC.at(written(3))
    assert reasons.change_message(reader, stale).body not in second["message"]["body"]
    message = merged(METRIC, [first, second])["message"]
    assert reasons.change_message(reader, stale).body not in message["body"]
    assert reasons.change_message(reader, spike).body in message["body"]
