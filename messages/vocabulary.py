"""The athlete's words for the planner's kinds of things: workout types, plan phases, pace zones and how a
workout went. The planner's values (``WorkoutType``, ``Phase`` ...) are codes; only these names are shown."""

from __future__ import annotations

# As a heading or a table cell ("Easy run").
WORKOUT_NAMES = {
    "rest": "Rest day",
    "easy": "Easy run",
    "recovery": "Recovery run",
    "long": "Long run",
    "threshold": "Tempo run",
    "intervals": "Intervals",
    "repetitions": "Fast repetitions",
    "race_pace": "Race-pace run",
    "race": "Race",
}
# Inside a sentence, after a distance ("10 km easy", "16 km long run") or after "the" ("the tempo run").
WORKOUT_KINDS = {
    "rest": "rest day",
    "easy": "easy run",
    "recovery": "recovery run",
    "long": "long run",
    "threshold": "tempo run",
    "intervals": "interval session",
    "repetitions": "repetition session",
    "race_pace": "race-pace run",
    "race": "race",
}
# The short form beside a distance in a from → to line ("10 km easy → 6 km recovery").
WORKOUT_SHORT = {
    "rest": "rest",
    "easy": "easy",
    "recovery": "recovery",
    "long": "long run",
    "threshold": "tempo",
    "intervals": "intervals",
    "repetitions": "repetitions",
    "race_pace": "race pace",
    "race": "race",
}
# The pace range a steady run is judged against, by name ("faster than easy", "your recovery pace"); a workout
# type not here is judged against "the planned pace".
PACE_NAMES = {"easy": "easy", "long": "easy", "recovery": "recovery"}
PHASE_NAMES = {
    "base": "Base building",
    "threshold": "Tempo block",
    "intervals": "Speed block",
    "taper": "Taper",
    "recovery": "Recovery",
    "maintenance": "Keeping fit",
}
# The planner labels a rep set with its pace zone; the athlete reads the zone's name.
REP_PACE_NAMES = {"T": "tempo pace", "I": "interval pace", "R": "repetition pace", "M": "race pace"}
# Compliance colours (docs/science.md#compliance-colours) in words, so colour is never the only signal.
DONE_WORDS = {
    "green": "Done, on target",
    "yellow": "Done, a little off target",
    "red": "Done, well off target",
}
# The same, inside a sentence ("8 of 8 km, on target").
DONE_PHRASES = {"green": "on target", "yellow": "a little off target", "red": "well off target"}
STATUS_WORDS = {"missed": "Missed", "planned": "Coming up", "rest": "Rest"}


def workout_name(kind: str) -> str:
    return WORKOUT_NAMES.get(kind, "Run")


def workout_kind(kind: str) -> str:
    return WORKOUT_KINDS.get(kind, "run")


def workout_short(kind: str) -> str:
    return WORKOUT_SHORT.get(kind, "run")


def pace_name(kind: str) -> str:
    return PACE_NAMES.get(kind, "")


def pace_zone(label: str) -> str:
    return REP_PACE_NAMES.get(label, "")


def done_phrase(colour: str) -> str:
    return DONE_PHRASES.get(colour, "done")
