"""Coalescing: an athlete's `plan.updated` rows written close together become one message (docs/notifications.md,
"Coalescing"). Pure functions: when a group is due, and what its one message says.

Only `plan.updated` is coalesced: each says "your plan changed", and a burst of them (a watch uploading several
runs, a backfill) is one change of plan to the athlete. The other types each name their own thing once (this
run matched that workout, that workout was missed, this week's review) and are written at most once per thing,
so merging them would only hide one fact behind another.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jinja2.exceptions import UndefinedError

from messages import Audience, combined

log = logging.getLogger(__name__)

PLAN_UPDATED = "plan.updated"  # plans.notify.PLAN_UPDATED; notify/ does not import plans/
COALESCED_EVENT_TYPES = frozenset({PLAN_UPDATED})
# A group is held until its newest row is a window old, but never longer than this many windows after its
# oldest: an athlete whose plan changes without pause still hears about it.
MAX_HOLD_WINDOWS = 5
MESSAGE = "message"
MESSAGES = "messages"
MERGED = "merged"


@dataclass(frozen=True)
class Part:
    """One row of a group: its id, idempotency key, public payload and when it was written."""

    outbox_id: int
    idempotency_key: str
    payload: dict[str, Any]
    created_at: datetime | None = None


def due_at(created: Sequence[datetime], window_s: float) -> datetime:
    """When a group written at these times is delivered: a window after its newest row, at most
    MAX_HOLD_WINDOWS windows after its oldest."""
    window = timedelta(seconds=window_s)
    return min(max(created) + window, min(created) + MAX_HOLD_WINDOWS * window)


def merge_payloads(parts: Sequence[Part], audience: Audience | None = None) -> dict[str, Any]:
    """One payload for a group, oldest part first. The machine fields are merged generically, so they keep up
    with the payload's fields:

    - a list (`changes`, `reasons`, ...) holds every distinct item of the parts once, in the order first
      written; an item that is an object with an `id` (a change: one decision) appears once, as last written
      (its latest revision);
    - any other field is the newest part's (the latest plan `version`, its `cause`);
    - `messages` is every distinct message, the newest first;
    - `message` reads as one message from the catalogue, in ``audience``'s units and timezone (the athlete's;
      metric and UTC when not given): a headline that sums the parts up, each decision's reason once and each
      changed workout once, from its first "before" to its last "after" (messages/combined.py); a group of
      one part keeps that part's own message;
    - `merged` lists each part's `outbox_id` and `idempotency_key`, oldest first, so a receiver that already
      got one of them on its own (its `webhook-id`) can tell.
    """
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part.payload)
    for key in merged:
        values = [part.payload[key] for part in parts if key in part.payload]
        if all(isinstance(value, list) for value in values):
            merged[key] = _merge_lists(values)
    messages = _distinct(part.payload[MESSAGE] for part in reversed(parts) if MESSAGE in part.payload)
    if messages:
        merged[MESSAGE] = _one_message(parts, audience or Audience())
        merged[MESSAGES] = messages
    merged[MERGED] = [
        {"outbox_id": part.outbox_id, "idempotency_key": part.idempotency_key} for part in parts
    ]
    return merged


def _one_message(parts: Sequence[Part], audience: Audience) -> Any:
    """The group's message: one part's own, else the catalogue's combined message of the parts."""
    if len(parts) == 1:
        return parts[0].payload[MESSAGE]
    try:
        updates = [combined.Update.from_payload(part.payload, part.created_at) for part in parts]
        return combined.combined(audience, updates).as_dict()
    except (KeyError, ValueError, TypeError, UndefinedError):
        # A payload not of the documented shape (a hand-written row) must not stop the delivery: the newest
        # row's own message goes out, and the rows' messages are all in `messages`.
        log.warning("notify.coalesce_message_fallback", extra={"outbox_id": parts[-1].outbox_id})
        return next(part.payload[MESSAGE] for part in reversed(parts) if MESSAGE in part.payload)


def _merge_lists(lists: Sequence[list[Any]]) -> list[Any]:
    by_key: dict[str, Any] = {}
    for items in lists:
        for item in items:
            identity = item.get("id") if isinstance(item, dict) else None
            key = f"id:{_canonical(identity)}" if identity is not None else _canonical(item)
            by_key[key] = item  # a later revision replaces the earlier one, keeping its place
    return list(by_key.values())


def _distinct(items: Iterable[Any]) -> list[Any]:
    first: dict[str, Any] = {}
    for item in items:
        first.setdefault(_canonical(item), item)
    return list(first.values())


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
