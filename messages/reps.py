"""A structured session's rep score (planner/rep_scoring.py, docs/workouts.md#rep-scoring): its machine fields
(the `workout.matched` payload and the plan API) and how the athlete reads it (templates/rep_score.txt).

The words are rendered from the machine fields, never from the planner's own sentence, so the notification,
the plan API and the plan page say the same thing. Paces are in the athlete's unit; the seconds a rep was off
are converted from the rep's pace (seconds per mile are not 1.6 times a rounded figure per km).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from messages import catalogue
from messages.audience import METRES_PER_KM, Audience
from planner.rep_scoring import RecoveryVerdict, RepScore, RepVerdict, ScoreOutcome

TEMPLATE = "rep_score"


@dataclass(frozen=True)
class RepText:
    """The score as the athlete reads it: the result, how to get the reps scored next time (only when they could
    not be), and one line per rep."""

    summary: str
    fix: str
    lines: tuple[str, ...]

    def text(self) -> str:
        return " ".join(part for part in (self.summary, self.fix) if part)


# --- machine fields (SI units) --------------------------------------------------------------------------


def fields(score: RepScore) -> dict[str, Any]:
    """The score as JSON: per rep its target band, actual pace and verdict; per recovery its verdict."""
    return {
        "outcome": score.outcome.value,
        "planned": score.planned,
        "found": len(score.reps),
        "inside": score.inside,
        "time_inside_s": round(score.time_inside_s, 1),
        "recoveries_too_fast": score.recoveries_too_fast,
        "reps": [
            {
                "number": r.number,
                "distance_m": r.planned.distance_m,
                "target_pace_s_per_km": list(r.planned.pace),
                "recovery_after_s": r.planned.recovery_after_s,
                "actual_distance_m": round(r.distance_m, 1),
                "time_s": r.time_s,
                # Unrounded: the words are rendered from these fields, and a pace rounded here would be
                # rounded again when converted to seconds per mile.
                "pace_s_per_km": r.pace,
                "off_s_per_km": r.off_s,
                "verdict": r.verdict.value,
            }
            for r in score.reps
        ],
        "recoveries": [
            {
                "after_rep": r.after_rep,
                "planned_s": r.planned_s,
                "time_s": r.time_s,
                "pace_s_per_km": r.pace,
                "verdict": r.verdict.value,
            }
            for r in score.recoveries
        ],
    }


# --- the words --------------------------------------------------------------------------------------------


def describe(audience: Audience, score: RepScore | Mapping[str, Any]) -> RepText:
    """The score (or its machine fields) in the athlete's words and units."""
    given = fields(score) if isinstance(score, RepScore) else score
    blocks = catalogue.render_blocks(
        TEMPLATE, audience, ("summary", "fix", "lines"), **context(audience, given)
    )
    return RepText(
        summary=" ".join(blocks["summary"].split()),
        fix=" ".join(blocks["fix"].split()),
        lines=tuple(" ".join(line.split()) for line in blocks["lines"].splitlines() if line.strip()),
    )


def context(audience: Audience, given: Mapping[str, Any]) -> dict[str, Any]:
    """What templates/rep_score.txt says the score from: counts, the band, and the reps off target, grouped."""
    reps = list(given["reps"])
    bands = {tuple(r["target_pace_s_per_km"]) for r in reps}
    recoveries = list(given.get("recoveries", ()))
    single = given["planned"] == 1 and len(reps) == 1
    complete = len(reps) == given["planned"]
    return {
        "scored": given["outcome"] == ScoreOutcome.SCORED.value,
        "outcome": given["outcome"],
        "planned": given["planned"],
        "found": len(reps),
        "inside": sum(1 for r in reps if r["verdict"] == RepVerdict.INSIDE.value),
        "band": list(bands.pop()) if len(bands) == 1 else None,
        "block_m": reps[0]["distance_m"] if single else None,
        "reps": [
            {
                "number": r["number"],
                "pace": r["pace_s_per_km"],
                "verdict": r["verdict"],
                "off": off(audience, r),
            }
            for r in reps
        ],
        "misses": [
            group
            for verdict in (RepVerdict.TOO_FAST, RepVerdict.TOO_SLOW)
            if (group := _missed(audience, reps, verdict, complete)) is not None
        ],
        "recoveries": len(recoveries),
        "recoveries_fast": sum(1 for r in recoveries if r["verdict"] == RecoveryVerdict.TOO_FAST.value),
        "time_inside_s": given.get("time_inside_s", 0.0),
        "time_s": sum(r["time_s"] for r in reps),
    }


def off(audience: Audience, rep: Mapping[str, Any]) -> int:
    """Whole seconds per km (or per mile) the rep was outside its band; 0 inside. The verdict is the planner's
    (whole seconds per km); per mile the amount is the rep's pace offset converted, never less than 1."""
    if rep["verdict"] == RepVerdict.INSIDE.value:
        return 0
    if audience.unit_metres == METRES_PER_KM:
        return abs(int(rep["off_s_per_km"]))
    fast, slow = rep["target_pace_s_per_km"]
    pace = rep["pace_s_per_km"]
    beyond = fast - pace if rep["verdict"] == RepVerdict.TOO_FAST.value else pace - slow
    return max(1, round(beyond * audience.unit_metres / METRES_PER_KM))


def _missed(
    audience: Audience, reps: Sequence[Mapping[str, Any]], verdict: RepVerdict, complete: bool
) -> dict[str, Any] | None:
    numbers = [r["number"] for r in reps if r["verdict"] == verdict.value]
    if not numbers:
        return None
    amounts = sorted(off(audience, r) for r in reps if r["verdict"] == verdict.value)
    return {
        "verdict": verdict.value,
        "place": _place(numbers, [r["number"] for r in reps], complete),
        "count": len(numbers),
        "numbers": numbers,
        "low": amounts[0],
        "high": amounts[-1],
    }


def _place(numbers: Sequence[int], found: Sequence[int], complete: bool) -> str:
    """Where the reps are among those found: "all", "first", "last" (only when every planned rep was found: the
    last one found of a session cut short is not its last rep), or "listed" (by number)."""
    k = len(numbers)
    if list(numbers) == list(found):
        return "all"
    if list(numbers) == list(found[:k]):
        return "first"
    if complete and list(numbers) == list(found[-k:]):
        return "last"
    return "listed"
