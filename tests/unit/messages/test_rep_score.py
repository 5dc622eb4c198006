"""A structured session's rep score as the athlete reads it (messages/reps.py, templates/rep_score.txt): the
sentence in km or in miles (the band as m:ss per km or per mile, each rep's seconds off converted from its pace),
plurals by count, reps that cannot be scored said with how to fix it, and the same words from the score and from
its machine fields (the notification and the plan page)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from messages import Units, catalogue, examples, notifications
from messages import reps as rep_words
from messages.audience import METRES_PER_MILE
from planner.rep_scoring import RepScore, RepVerdict, ScoreOutcome
from tests.unit.messages.checks import problems

METRIC, IMPERIAL = examples.AUDIENCES
EIGHT = examples.intervals(examples.TUESDAY)
FAST, SLOW = examples.INTERVAL_BAND
PER_MILE = METRES_PER_MILE / 1000


def score_of(paces: list[float], jogs: list[float] | None = None, w: planner.Workout = EIGHT) -> RepScore:
    return examples.rep_score(w, examples.session_laps(w, paces, jogs))


def mile_seconds(offset_s_per_km: float) -> int:
    return max(1, round(abs(offset_s_per_km) * PER_MILE))


def test_the_issue_sentence_in_km_and_in_miles() -> None:
    score = score_of([235.0] * 6 + [223.0, 223.0])
    km = rep_words.describe(METRIC, score)
    assert km.summary == (
        "6 of 8 reps inside 3:52–3:58/km: the last two were 9 s/km too fast. Every recovery was easy."
    )
    mi = rep_words.describe(IMPERIAL, score)
    band = IMPERIAL.pace_range(examples.INTERVAL_BAND)
    assert band == "6:13–6:23/mi"  # 232 and 238 s/km × 1.609344, rounded once
    seconds = mile_seconds(223.0 - FAST)  # 9 s/km is 14.5 s/mi: converted from the pace, not 9 × 1.6 rounded
    assert mi.summary == (
        f"6 of 8 reps inside {band}: the last two were {seconds} s/mi too fast. Every recovery was easy."
    )
    assert mi.lines[6] == f"Rep 7: {IMPERIAL.pace(223.0)}, {seconds} s/mi too fast"
    assert km.fix == mi.fix == ""


def test_misses_are_named_by_place_and_plurals_follow_the_count() -> None:
    say = lambda *a: rep_words.describe(METRIC, score_of(*a)).summary  # noqa: E731
    assert say([228.0, 235, 242, 235, 246, 235, 235, 235], [400.0] * 5 + [300.0] * 2) == (
        "5 of 8 reps inside 3:52–3:58/km: the first rep was 4 s/km too fast and reps 3 and 5 were "
        "4–8 s/km too slow. 2 of 7 recoveries were run too fast."
    )
    assert say([235.0] * 8, [300.0] + [400.0] * 6).endswith("1 of 7 recoveries was run too fast.")
    assert say([235.0] * 7 + [241.0]).startswith("7 of 8 reps inside 3:52–3:58/km: the last rep was 3 s/km")
    assert say([235.0, 235.0, 243.0]).startswith(
        "3 of 8 reps found in the laps, 2 inside 3:52–3:58/km: rep 3 was 5 s/km too slow."
    )
    two = examples.intervals(examples.TUESDAY, 2, 1600.0, 120.0)
    assert say([235.0, 235.0], None, two) == "Both reps inside 3:52–3:58/km. The recovery was easy."
    assert say([226.0, 224.0], [300.0], two) == (
        "No rep inside 3:52–3:58/km: both were 6–8 s/km too fast. The recovery was run too fast."
    )


def test_a_single_block_is_said_as_a_block_in_the_readers_unit() -> None:
    block = examples.tempo(examples.TUESDAY, 1)
    score = score_of([282.0], None, block)
    band = block.reps[0].pace
    off = score.reps[0].pace - band[1]  # the lap's own pace: 451 s over 1600 m
    for audience in examples.AUDIENCES:
        said = rep_words.describe(audience, score)
        amount = f"{round(off)} s/km" if audience.units is Units.METRIC else f"{mile_seconds(off)} s/mi"
        expected = (
            f"The {audience.rep_distance(1600.0)} block ran {amount} too slow "
            f"(target {audience.pace_range(band)})."
        )
        assert said.summary == expected


def test_reps_that_cannot_be_scored_say_why_and_how_to_lap_them_without_jargon() -> None:
    cases = {
        ScoreOutcome.NOT_LAPPED: [examples.lap(12000.0, 300.0)],
        ScoreOutcome.AUTO_LAPS: [examples.lap(1000.0, 300.0)] * 12,
        ScoreOutcome.NO_MATCH: [examples.lap(3000.0, 300.0), examples.lap(9000.0, 300.0)],
    }
    reasons = set()
    for outcome, laps in cases.items():
        score = examples.rep_score(EIGHT, laps)
        assert score.outcome is outcome
        for audience in examples.AUDIENCES:
            said = rep_words.describe(audience, score)
            assert said.summary.startswith("The reps could not be scored: ")
            assert "lap button" in said.fix
            assert "workout onto your watch" in said.fix
            assert not re.search(r"\bFIT\b|auto.?lap|split index|step index|outcome", said.text(), re.I)
            assert said.lines == ()
            assert not problems(said.text(), audience.units)
            reasons.add(said.summary)
    assert len(reasons) == len(cases)  # each reason said in its own words


def test_the_words_are_the_same_from_the_score_and_from_its_machine_fields() -> None:
    for score in examples.rep_scores():
        fields = rep_words.fields(score)
        for audience in examples.AUDIENCES:
            assert rep_words.describe(audience, score) == rep_words.describe(audience, fields)
        assert fields["outcome"] == score.outcome.value
        assert [r["verdict"] for r in fields["reps"]] == [r.verdict.value for r in score.reps]
        assert all(len(r["target_pace_s_per_km"]) == 2 for r in fields["reps"])


def test_the_matched_message_says_the_reps_in_its_body_and_each_rep_in_its_details() -> None:
    score = score_of([235.0] * 6 + [223.0, 223.0])
    for audience in examples.AUDIENCES:
        plain = notifications.workout_matched(audience, EIGHT, done_m=12000.0, colour="green", manual=False)
        said = rep_words.describe(audience, score)
        message = notifications.workout_matched(
            audience, EIGHT, done_m=12000.0, colour="green", manual=False, reps=score
        )
        assert message.headline == plain.headline
        assert message.body == f"{plain.body}\n\n{said.summary}"
        assert message.details == plain.details + said.lines
        assert len([d for d in message.details if d.startswith("Rep ")]) == 8
        assert not problems(message.text(), audience.units)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    paces=st.lists(st.floats(min_value=215.0, max_value=255.0), min_size=2, max_size=8),
    jogs=st.lists(st.floats(min_value=280.0, max_value=480.0), min_size=7, max_size=7),
)
def test_any_session_reads_cleanly_and_its_numbers_are_the_reps_own(
    paces: list[float], jogs: list[float]
) -> None:
    score = score_of(paces, jogs)
    assert score.outcome is ScoreOutcome.SCORED
    assert len(score.reps) == len(paces)
    for audience in examples.AUDIENCES:
        said = rep_words.describe(audience, score)
        assert not problems(said.text(), audience.units), said.text()
        assert not problems("\n".join(said.lines), audience.units)
        band = audience.pace_range(examples.INTERVAL_BAND)
        found, inside = len(score.reps), score.inside
        if found < score.planned:
            head = f"{found} of 8 reps found in the laps, {inside or 'none'} inside {band}"
        elif inside == found:
            head = f"All 8 reps inside {band}"
        else:
            head = f"{inside} of 8 reps inside {band}" if inside else f"No rep inside {band}"
        assert said.summary.startswith(head), (head, said.summary)
        unit = "km" if audience.units is Units.METRIC else "mi"
        assert [line.split(":")[0] for line in said.lines[:-1]] == [f"Rep {r.number}" for r in score.reps]
        for rep, line in zip(score.reps, said.lines, strict=False):
            assert line.startswith(f"Rep {rep.number}: {audience.pace(rep.pace)}, ")
            if rep.verdict is RepVerdict.INSIDE:
                assert line.endswith("on target")
                continue
            fast, slow = rep.planned.pace
            offset = fast - rep.pace if rep.verdict is RepVerdict.TOO_FAST else rep.pace - slow
            # Per km the planner's whole seconds; per mile the rep's own offset converted, rounded once.
            shown = abs(rep.off_s) if unit == "km" else mile_seconds(offset)
            assert line.endswith(f", {shown} s/{unit} {'too fast' if rep.off_s < 0 else 'too slow'}"), line


def test_every_rep_score_example_is_rendered_by_the_catalogue_tests() -> None:
    assert "rep_score" in {name for name, *_ in examples.render_all()}
    assert len(examples.template_examples(METRIC)["rep_score"]) >= len(ScoreOutcome) + 5
    assert catalogue.exists("rep_score")
