"""The notifications' messages put together: `plan.updated` says what changed workout by workout (from → to,
newly planned, no longer planned), one headline, the reason and its numbers; a revision says it updates an
earlier message; a decision that ended says so; and direct notifications send the message as it is."""

from __future__ import annotations

from datetime import timedelta

from messages import Units, examples, notifications, reasons
from notify.channels import render_text
from plans import notify
from store.plan_models import Plan as PlanRow
from tests.unit.messages.checks import problems

METRIC, IMPERIAL = examples.AUDIENCES
DAY = examples.MONDAY + timedelta(days=8)


def test_plan_updated_says_the_reason_the_numbers_and_each_changed_workout() -> None:
    before, after = examples.workout(DAY), examples.workout(DAY, "recovery", 6.0)
    added = examples.workout(DAY + timedelta(days=1))
    gone = examples.workout(DAY + timedelta(days=2))
    for audience in examples.AUDIENCES:
        update = notifications.plan_updated(
            audience,
            cause="synced",
            changes=[examples.REBUILD],
            pairs=[(gone, None), (before, after), (None, added)],
        )
        said = reasons.change_message(audience, examples.REBUILD)
        assert update.message.headline == said.headline
        assert said.body in update.message.body
        assert update.message.details == said.details
        lines = [line.text for line in update.workouts]
        assert [line.workout.date for line in update.workouts] == [
            DAY,
            DAY + timedelta(days=1),
            DAY + timedelta(days=2),
        ]
        assert (
            lines[0]
            == f"{audience.day(DAY)}: {audience.distance(10_000)} easy → {audience.distance(6_000)} recovery"
        )
        assert "new" in lines[1]
        assert "no longer planned" in lines[2]
        assert all(f"• {line}" in update.message.body for line in lines)
        assert update.workouts[0].as_dict()["after"]["distance_m"] == 6_000  # machine fields stay in SI units
        assert not problems(update.message.text(), audience.units)


def test_without_pairs_the_changes_own_diffs_are_the_lines_and_a_long_list_is_cut_short() -> None:
    update = notifications.plan_updated(METRIC, cause="synced", changes=[examples.REBUILD])
    assert len(update.workouts) == len(examples.REBUILD_DIFFS)
    many = [
        (
            examples.workout(DAY + timedelta(days=i)),
            examples.workout(DAY + timedelta(days=i), "recovery", 5.0),
        )
        for i in range(9)
    ]
    long = notifications.plan_updated(METRIC, cause="synced", changes=[examples.REBUILD], pairs=many)
    shown = [line for line in long.message.body.splitlines() if line.startswith("• ")]
    hidden = 9 - notifications.MAX_WORKOUT_LINES
    assert len(shown) == notifications.MAX_WORKOUT_LINES + 1
    assert shown[-1] == f"• and {hidden} more workouts"
    assert len(long.workouts) == 9  # the payload keeps them all


def test_known_to_change_no_workout_a_message_lists_none_and_leaves_a_revision_unsaid() -> None:
    # Pairs given, even none, are the workouts the message's decisions changed: the changes' own diffs (from
    # where the planner stood before each decision, not what the athlete had) are never listed instead.
    update = notifications.plan_updated(
        METRIC,
        cause="synced",
        changes=[examples.REBUILD, examples.SPIKE],
        revised=frozenset({examples.REBUILD.id}),
        pairs=[],
    )
    assert update.workouts == ()
    assert "What changes" not in update.message.body
    assert reasons.change_message(METRIC, examples.REBUILD).body not in update.message.body
    assert reasons.change_message(METRIC, examples.SPIKE).body in update.message.body  # new: said


def test_a_revision_is_an_update_and_an_ended_decision_says_why() -> None:
    revised = notifications.plan_updated(
        METRIC, cause="synced", changes=[examples.REBUILD], revised=frozenset({examples.REBUILD.id})
    )
    first = reasons.change_message(METRIC, examples.REBUILD)
    assert revised.message.headline == f"Update: {first.headline}"
    withdrawn = notifications.plan_updated(
        METRIC, cause="synced", ended=[notifications.Ended(examples.REBUILD, undone=False)]
    )
    undone = notifications.plan_updated(
        METRIC, cause="undo", ended=[notifications.Ended(examples.REBUILD, undone=True)]
    )
    assert first.headline in withdrawn.message.body
    assert "no longer applies" in withdrawn.message.body
    assert undone.message.headline == "Change undone"
    assert withdrawn.message.headline != undone.message.headline


def test_a_stored_change_without_facts_falls_back_to_the_planners_words_cleaned() -> None:
    old = examples.change(examples.ChangeCode.VOLUME_REBUILD, {})
    old = type(old)(
        old.id, old.code, old.week_start, "Next week is 20 km (science.md §1.5); missed runs are not made up."
    )
    said = reasons.change_message(IMPERIAL, old)
    assert said.body == "Next week is 20 km. Missed runs are not made up."


def test_direct_notifications_send_the_message_headline_as_title_and_the_rest_as_text() -> None:
    message = notifications.workout_matched(
        IMPERIAL, examples.workout(DAY), done_m=9000.0, colour="yellow", manual=True
    )
    title, text = render_text("workout.matched", {"reasons": ["old words"], "message": message.as_dict()})
    assert title == message.headline
    assert text == f"{message.body}\n\n" + "\n".join(message.details)
    assert "old words" not in text
    assert " mi" in text
    assert not problems(text, Units.IMPERIAL)


def test_a_missed_workout_payload_carries_its_message_in_the_athletes_units() -> None:
    row = PlanRow(id=1, athlete_id=2, version=3, timezone="America/New_York")
    missed = examples.workout(DAY)
    payload = notify.workout_missed_payload(row, missed, [examples.REBUILD], units="imperial")
    message = payload["message"]
    assert IMPERIAL.distance(missed.distance_m) in message["headline"] + message["body"]
    assert reasons.change_message(IMPERIAL, examples.REBUILD).body in message["body"]
    assert payload["reasons"][1] == examples.REBUILD.reason  # the machine field keeps the planner's words
    text = "\n".join([message["headline"], message["body"], *message["details"]])
    assert not problems(text, Units.IMPERIAL)
