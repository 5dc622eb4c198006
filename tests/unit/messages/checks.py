"""What any athlete-facing text must never contain, as one function the catalogue's tests share."""

from __future__ import annotations

import re

from messages import Units
from planner.reasons import ChangeCode, NoticeCode

COUNTED = "session|run|day|week|workout|change|stride|point|minute|hour|second|time"
QUALIFIERS = "(?:more |hard |planned |easy |training |recovery |long |fast )?"
ONE_THEN_PLURAL = re.compile(rf"(?<![\d.:,])\b1 {QUALIFIERS}(?:{COUNTED})s\b")
MANY_THEN_SINGULAR = re.compile(rf"(?<![\d.:,])\b(?:[02-9]|\d\d+) {QUALIFIERS}(?:{COUNTED})\b(?![s-])")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}|%\(|\)s\b|Undefined|\bNone\b|\bnan\b|\binf\b")
REFERENCE = re.compile(r"\.md\b|§|\bdocs/|\.py\b|\bsection\b|science\.md", re.IGNORECASE)
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
UNROUNDED = re.compile(r"\b\d+\.0\b|\b\d+\.\d{2,}\b")
ZERO_COUNT = re.compile(
    rf"(?<![\d.:,])\b0 (?:was|were|{COUNTED})s?\b"
)  # "none was planned", not "0 were planned"
CODES = {c.value for c in ChangeCode} | {c.value for c in NoticeCode}


def problems(text: str, units: Units) -> list[str]:
    """Everything wrong with `text` for an athlete reading `units`; empty when it is fine."""
    found = []
    checks = {
        "an unresolved placeholder": PLACEHOLDER,
        "a file or section reference": REFERENCE,
        "an internal code": SNAKE_CASE,
        "an unrounded number": UNROUNDED,
        "'1' before a plural": ONE_THEN_PLURAL,
        "a count above 1 before a singular": MANY_THEN_SINGULAR,
        "a count of nothing said as 0": ZERO_COUNT,
    }
    for what, pattern in checks.items():
        if (hit := pattern.search(text)) is not None:
            found.append(f"{what}: {hit.group(0)!r}")
    if any(code in text for code in CODES):
        found.append("a change or notice code")
    if ";" in text:
        found.append("a semicolon run-on")
    if "ACWR" in text or ("VDOT" in text and "fitness score" not in text):
        found.append("unexplained jargon")
    other = r"\bkm\b|/km\b" if units is Units.IMPERIAL else r"\bmi\b|/mi\b|\bmiles?\b"
    if re.search(other, text):
        found.append(f"a distance in the other unit system ({units})")
    if re.search(r"  |\s[,.:]|\.\.|\(\s|\s\)", text):
        found.append("broken spacing or punctuation")
    return found
