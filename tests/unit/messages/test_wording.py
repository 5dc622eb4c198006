"""Words an athlete found wrong when reading the demo's messages, each fixed by a rule of the catalogue:

- a matched run's body does not repeat its headline (the workout's day, the verdict);
- weeks are said from the reader's day ("this week" of the week a message is read in, "next week" of the
  one after), and by their dates where the day is not known (the plan page, a calendar) or they are further
  off; the speed guard never claims an overshoot when the time at speed stayed within the allowance;
- the long-run spike's reason does not promise a recovery run on every day after it (a rest day stays one);
- several versions merged: "twice", not "2 times".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import planner
from messages import catalogue, combined, examples, notifications, reasons
from messages.catalogue import Message
from messages.examples import CHANGE_FACTS, MONDAY, ChangeCode


def test_a_matched_runs_body_does_not_repeat_its_headline() -> None:
    for audience in examples.AUDIENCES:
        for context in examples.template_examples(audience)["workout_matched"]:
            message = catalogue.render("workout_matched", audience, **context)
            said = message.headline.split(": done")[-1].removeprefix(", ")
            assert audience.day(context["workout"].date) not in message.body, message
            if said:
                assert said not in message.body, message


def speed_guard(read_on: date | None = None, **facts: object) -> Message:
    given = {**CHANGE_FACTS[ChangeCode.INTENSITY_REDUCED][0], **facts}
    reader = examples.AUDIENCES[0].on(read_on)
    return catalogue.render(
        "changes/intensity_reduced", reader, facts=planner.Facts(given), week_start=MONDAY
    )


def test_the_speed_guard_says_this_week_of_a_week_still_going_on() -> None:
    going_on = speed_guard(MONDAY + timedelta(days=2), week_in_progress=True)
    over = speed_guard(MONDAY + timedelta(days=7), week_in_progress=False)
    assert "this week already" in going_on.body.lower()
    assert "next week" in going_on.body.lower()  # what it changes is the week after the one going on
    assert "last week" not in going_on.text().lower()
    assert over.body.startswith("Last week had")
    assert "this week" in over.headline  # read the Monday after: the week it changes is this one


def test_weeks_are_said_from_the_readers_day_and_by_their_dates_when_it_is_not_known() -> None:
    for days, judged, changed in ((2, "this week", "next week"), (7, "last week", "this week")):
        said = speed_guard(MONDAY + timedelta(days=days), level=2, week_in_progress=days < 7)
        assert f"{changed} starts with a recovery run" in said.body.lower(), said.body
        assert judged in said.body.lower()
    later = speed_guard(MONDAY + timedelta(days=30), level=2)
    timeless = speed_guard(None, level=2)
    for said in (later, timeless):
        assert not any(word in said.text().lower() for word in ("this week", "last week", "next week"))
        assert "the week of" in said.body.lower()


def test_the_speed_guard_does_not_claim_an_overshoot_within_the_allowance() -> None:
    within = speed_guard(MONDAY + timedelta(days=7), speed_s=1200, budget_s=1500, fast_easy_runs=2)
    assert "within" in within.body
    assert "more than the" not in within.body
    assert "2 runs were harder than planned" in within.body


def test_the_long_run_spike_does_not_promise_a_recovery_run_each_day() -> None:
    for facts in CHANGE_FACTS[ChangeCode.RUN_SPIKE]:
        body = catalogue.render(
            "changes/run_spike", examples.AUDIENCES[0], facts=planner.Facts(facts), week_start=MONDAY
        ).body
        assert "are short, easy recovery runs" not in body
        assert "any run in the" in body


def test_two_versions_merged_read_twice() -> None:
    first = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    said = Message("Headline", "A body.")
    updates = [
        combined.Update(
            "synced",
            said,
            (examples.SPIKE,),
            ((examples.SPIKE.id, n, "active"),),
            (),
            first + timedelta(minutes=n),
        )
        for n in (1, 2)
    ]
    headline = combined.combined(examples.AUDIENCES[0], updates).headline
    assert headline.startswith("Your plan changed twice")
    assert "2 times" not in headline


def test_the_digest_lists_each_figure_once() -> None:
    for audience in examples.READERS:
        for context in examples.template_examples(audience)["week_digest"]:
            details = catalogue.render("week_digest", audience, **context).details
            labels = [line.split(":", 1)[0] for line in details]
            assert len(labels) == len(set(labels)), details


def test_a_revision_whose_workouts_are_all_behind_the_athlete_is_not_said_again() -> None:
    audience = examples.AUDIENCES[0].on(MONDAY + timedelta(days=14))
    stale = examples.REBUILD  # its workouts are in the week of 30 Nov, gone by 7 Dec
    later = examples.workout(MONDAY + timedelta(days=15))
    pairs = [(later, examples.workout(MONDAY + timedelta(days=15), "recovery", 6.0))]
    spike = replace(examples.SPIKE, workouts=(planner.WorkoutDiff(*pairs[0]),))  # type: ignore[arg-type]
    update = notifications.plan_updated(
        audience, cause="synced", changes=[stale, spike], revised=frozenset({stale.id}), pairs=pairs
    )
    assert reasons.change_message(audience, stale).body not in update.message.body
    assert update.message.headline == reasons.change_message(audience, spike).headline
    # Revised and touching a changed workout: said, as an update.
    touching = notifications.plan_updated(
        audience, cause="synced", changes=[spike], revised=frozenset({spike.id}), pairs=pairs
    )
    assert touching.message.headline.startswith("Update: ")


def test_the_strongest_speed_response_says_what_it_does_to_the_week_after_too() -> None:
    # Level 3 keeps the pace ceiling a second week (docs/science.md#speed-budget): the reason says so, with or
    # without a hard session to shorten there.
    for quality_after in (False, True):
        said = speed_guard(MONDAY + timedelta(days=7), level=3, quality_after=quality_after)
        assert "next week, your easy runs keep the pace ceiling" in said.body.lower(), said.body
        assert ("first hard session is shorter" in said.body) is quality_after


def test_a_new_decision_heads_the_message_before_a_revised_one() -> None:
    audience = examples.AUDIENCES[0].on(MONDAY + timedelta(days=7))
    update = notifications.plan_updated(
        audience,
        cause="synced",
        changes=[examples.REBUILD, examples.SPIKE],
        revised=frozenset({examples.REBUILD.id}),
    )
    assert update.message.headline.startswith(reasons.change_message(audience, examples.SPIKE).headline)
    assert not update.message.headline.startswith("Update")
