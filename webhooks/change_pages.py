"""Cursor pagination of a plan's decisions (`GET …/plan/changes`, docs/api.md "Pagination").

The list is ordered by the version that first made each decision, newest first, then by id; a revision changes
a decision in place and never its position. A cursor names the last decision a page held (plan, first version,
change id: unique per plan), so the next page starts right after it: a decision made between two pages belongs
to a newer version, sorts before the cursor, and shifts nothing (no duplicates, no gaps). The cursor is opaque
to clients (base64url of a small JSON array); a cursor of a plan since replaced by a new one is a 409, a
malformed one (or one from before decisions, which named a change's version) a 422.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import URL

from webhooks.errors import ApiError

# The list was unpaginated before: the default page holds every decision a plan realistically has (one per rule
# and plan week, at most 52 weeks), so existing callers still see the whole list in one answer.
DEFAULT_LIMIT = 1000
MAX_LIMIT = 1000
MAX_CURSOR_CHARS = 200
# The cursor's own version, so its layout can change without misreading old cursors: 2 names a decision's first
# version (1 named the version of a change row).
_FORMAT = 2


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode(plan_id: int, first_version: int, change_id: str) -> str:
    raw = json.dumps([_FORMAT, plan_id, first_version, change_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[int, int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        form, plan_id, version, change_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):  # not base64, not JSON, not four values
        raise _invalid() from None
    if form != _FORMAT or not all(isinstance(v, int) for v in (plan_id, version)):
        raise _invalid()
    if not isinstance(change_id, str):
        raise _invalid()
    return plan_id, version, change_id


def _invalid() -> ApiError:
    return ApiError(422, "cursor is not one this API issued; pass `next` as given", code="cursor_invalid")


def page(changes: list[dict[str, Any]], plan_id: int, *, limit: int, cursor: str | None) -> Page:
    """The page of `changes` (decisions, in the view's order) after `cursor`, at most `limit` long."""
    start = 0
    if cursor is not None:
        cursor_plan, version, change_id = decode(cursor)
        if cursor_plan != plan_id:
            raise ApiError(
                409,
                "the plan was replaced since this cursor was issued; list its changes from the start",
                code="cursor_stale",
            )
        start = _after(changes, version, change_id)
    items = changes[start : start + limit]
    more = start + len(items) < len(changes)
    last = items[-1] if items else None
    next_cursor = encode(plan_id, last["first_version"], last["id"]) if more and last else None
    return Page(items, next_cursor)


def _after(changes: list[dict[str, Any]], first_version: int, change_id: str) -> int:
    for position, change in enumerate(changes):
        if change["first_version"] == first_version and change["id"] == change_id:
            return position + 1
    # Not there (decisions are never removed one by one; a purge removes them all): resume at the older ones.
    return next((n for n, c in enumerate(changes) if c["first_version"] < first_version), len(changes))


def next_link(url: URL, next_cursor: str, limit: int) -> str:
    """RFC 8288 `Link` to the next page: the same path, the same limit, the cursor."""
    target = url.include_query_params(limit=limit, cursor=next_cursor)
    return f'<{target.path}?{target.query}>; rel="next"'
