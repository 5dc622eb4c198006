"""Coalescing: an athlete's `plan.updated` rows written close together become one message (docs/notifications.md,
"Coalescing"). Pure functions: when a group is due, and what its one message says.

Only `plan.updated` is coalesced: each says "your plan changed", and a burst of them (a watch uploading several
runs, a backfill) is one change of plan to the athlete. The other types each name their own thing once (this
run matched that workout, that workout was missed, this week's review) and are written at most once per thing,
so merging them would only hide one fact behind another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
    """One row of a group: its id, idempotency key and public payload."""

    outbox_id: int
    idempotency_key: str
    payload: dict[str, Any]


def due_at(created: Sequence[datetime], window_s: float) -> datetime:
    """When a group written at these times is delivered: a window after its newest row, at most
    MAX_HOLD_WINDOWS windows after its oldest."""
    window = timedelta(seconds=window_s)
    return min(max(created) + window, min(created) + MAX_HOLD_WINDOWS * window)


def merge_payloads(parts: Sequence[Part]) -> dict[str, Any]:
    """One payload for a group, oldest part first. Generic, so it keeps up with the payload's fields:

    - a list (`changes`, `reasons`, ...) holds every distinct item of the parts once, in the order first
      written; an item that is an object with an `id` (a change: one decision) appears once, as last written
      (its latest revision);
    - `messages` is every distinct message, the newest first, and `message` says them all at once: the newest
      headline, each distinct body once (the newest first, a paragraph each) and each distinct detail once;
    - any other field is the newest part's (the latest plan `version`, its `cause`);
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
        merged[MESSAGE] = _one_message(messages)
        merged[MESSAGES] = messages
    merged[MERGED] = [
        {"outbox_id": part.outbox_id, "idempotency_key": part.idempotency_key} for part in parts
    ]
    return merged


def _one_message(messages: list[Any]) -> Any:
    """The newest message, with the bodies and details of the others after its own, each once."""
    newest = messages[0]
    if len(messages) == 1 or not all(isinstance(m, dict) for m in messages):
        return newest
    bodies = _distinct(str(m.get("body") or "") for m in messages)
    details = _distinct(line for m in messages for line in m.get("details") or ())
    return {**newest, "body": "\n\n".join(b for b in bodies if b), "details": details}


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
