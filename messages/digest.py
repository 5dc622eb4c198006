"""The weekly digest (`week.reviewed`, template `week_digest`): the week that just ended in the athlete's
timezone, planned against done (distance and runs), then next week and each decision that changes it, with
its reason.

Rendered from the notification's own plain values (SI units and the planner's change dicts, as
docs/notifications.md lists them): the weekly review writes those figures set-based for every athlete at once,
and the message is rendered when the row is first delivered (notify/delivery.py), where the athlete's units
are at hand and one message costs nothing next to the request that sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import planner
from messages import catalogue, reasons
from messages.audience import Audience
from messages.catalogue import BULLET, Message

TEMPLATE = "week_digest"
METRES_PER_KM = 1000.0
SENTENCE_END = (".", "!", "?")
DAYS_A_WEEK = 7


@dataclass(frozen=True)
class NextWeek:
    week_start: date
    planned_m: float
    planned_runs: int


@dataclass(frozen=True)
class Said:
    """A decision in the athlete's words: its headline as a sentence, its reason, its numbers."""

    headline: str
    body: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class Digest:
    message: Message
    reasons: tuple[str, ...]  # the body's sentences, one per paragraph or list line (the payload's `reasons`)


def week_digest(
    audience: Audience,
    week_start: date,
    *,
    planned_m: float,
    done_m: float,
    planned_runs: int,
    done_runs: int,
    next_week: NextWeek | None,
    decisions: Sequence[planner.Change] = (),
) -> Digest:
    """`next_week`: None when the plan ends with this week; `decisions`: those changing next week. Read on the
    Monday after the week (when it is sent, docs/notifications.md): the weeks are said from that day."""
    audience = audience.on(week_start + timedelta(days=DAYS_A_WEEK))
    message = catalogue.render(
        TEMPLATE,
        audience,
        week_start=week_start,
        planned_m=planned_m,
        done_m=done_m,
        planned_runs=planned_runs,
        done_runs=done_runs,
        next_week=next_week,
        decisions=_said(audience, decisions),
    )
    return Digest(message, _sentences(message.body))


def from_payload(audience: Audience, payload: Mapping[str, Any]) -> Digest:
    """The digest of a `week.reviewed` payload's figures (docs/notifications.md)."""
    upcoming = payload.get("next_week")
    next_week = (
        NextWeek(
            date.fromisoformat(upcoming["week_start"]),
            float(upcoming["planned_km"]) * METRES_PER_KM,
            int(upcoming["planned_runs"]),
        )
        if upcoming
        else None
    )
    decisions = [planner.change_from_dict(d) for d in (upcoming or {}).get("decisions") or ()]
    return week_digest(
        audience,
        date.fromisoformat(payload["week_start"]),
        planned_m=float(payload["planned_km"]) * METRES_PER_KM,
        done_m=float(payload["done_km"]) * METRES_PER_KM,
        planned_runs=int(payload["planned_runs"]),
        done_runs=int(payload["done_runs"]),
        next_week=next_week,
        decisions=decisions,
    )


def _said(audience: Audience, decisions: Sequence[planner.Change]) -> list[Said]:
    said: dict[str, Said] = {}
    for decision in decisions:
        message = reasons.change_message(audience, decision)
        headline = message.headline if message.headline.endswith(SENTENCE_END) else message.headline + "."
        said.setdefault(message.headline, Said(headline, message.body, message.details))
    return list(said.values())


def _sentences(body: str) -> tuple[str, ...]:
    lines = (line.strip().removeprefix(BULLET) for line in body.splitlines())
    return tuple(line for line in lines if line)
