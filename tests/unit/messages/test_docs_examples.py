"""docs/notifications.md shows each athlete-facing message as the athlete receives it: its examples section is
exactly what the catalogue renders now (`python -m messages.examples docs/notifications.md` rewrites it)."""

from __future__ import annotations

from pathlib import Path

from messages import examples

DOC = Path(__file__).resolve().parents[3] / "docs" / "notifications.md"
ATHLETE_FACING = {"plan.updated", "workout.matched", "workout.missed", "week.reviewed", "connection.revoked"}


def test_the_docs_examples_are_the_catalogues_output() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert examples.BEGIN in doc
    assert examples.END in doc
    assert examples.with_examples(doc) == doc, "run: python -m messages.examples docs/notifications.md"


def test_every_athlete_facing_type_is_shown_in_both_unit_systems() -> None:
    doc = DOC.read_text(encoding="utf-8")
    section = doc.split(examples.BEGIN, 1)[1].split(examples.END, 1)[0]
    for audience in examples.AUDIENCES:
        shown = {event_type for event_type, _, _ in examples.notification_examples(audience)}
        assert shown == ATHLETE_FACING
    for event_type in ATHLETE_FACING:
        assert section.count(f"`{event_type}`") >= 2, event_type
    assert " mi" in section
    assert " km" in section
