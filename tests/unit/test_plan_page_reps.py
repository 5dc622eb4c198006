"""The plan page shows a matched structured session's rep score beside its run (webhooks/plan_page_view.py), in
the reader's units, from the plan API's `rep_score` fields; other workouts show none."""

from __future__ import annotations

import html as markup
import re
from datetime import date
from typing import Any

import planner
from messages import examples
from messages import reps as rep_words
from planner.rep_scoring import RepScore
from tests.unit.test_plan_page_render import IMPERIAL, METRIC, detail, rendered


def with_scored_intervals(score: RepScore) -> dict[str, Any]:
    """The test page's matched run (501) as an interval session with its rep score, as the plan API gives it."""
    d = detail()
    matched = d["weeks"][0]["workouts"][0]
    session = examples.intervals(date.fromisoformat(matched["date"]))
    matched.update(
        {**planner.workout_to_dict(session), "id": matched["id"], "rep_score": rep_words.fields(score)}
    )
    return d


def cell_of_run(page: str) -> str:
    """The table cell that holds the matched run."""
    at = page.index("data-run>")
    return page[page.rindex("<td>", 0, at) : page.index("</td>", at)]


def test_the_rep_sentence_sits_beside_the_matched_run_in_the_readers_units() -> None:
    session = examples.intervals(examples.TUESDAY)
    score = examples.rep_score(session, examples.session_laps(session, [235.0] * 6 + [223.0, 223.0]))
    d = with_scored_intervals(score)
    for audience in (METRIC, IMPERIAL):
        cell = markup.unescape(cell_of_run(rendered(d, audience)))
        said = rep_words.describe(audience, score)
        assert said.summary in cell
        assert audience.pace_range(examples.INTERVAL_BAND) in cell
    imperial = markup.unescape(cell_of_run(rendered(d, IMPERIAL)))
    assert not re.search(r"\bkm\b|/km", imperial)


def test_reps_that_cannot_be_scored_say_how_to_lap_them_and_other_workouts_say_nothing() -> None:
    session = examples.intervals(examples.TUESDAY)
    score = examples.rep_score(session, [examples.lap(1000.0, 300.0)] * 12)
    cell = markup.unescape(cell_of_run(rendered(with_scored_intervals(score))))
    assert "lap button" in cell
    assert "data-reps" in cell
    assert "data-reps" not in rendered()  # the easy run matched in the plain test page has no score
