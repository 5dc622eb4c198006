"""One message for several `plan.updated` written close together (coalesced: notify/coalesce.py,
docs/notifications.md#coalescing), rendered by the catalogue's `plan_updated_combined`.

Read from the payloads' own fields (docs/notifications.md: `cause`, `changes`, `decisions`, `workouts`,
`reasons`, `message`), oldest first, as one update to the athlete:

- the headline counts the versions ("Your plan changed 3 times since this morning"), or is a new plan's own
  when one of them is a new plan (its message opens the combined one; what came before it was about a plan
  that no longer exists, and its workouts are all new, so no from → to lines follow it);
- each decision is said once, as it stands after the last version: its reason from its latest code and facts;
  one that ended is said to no longer apply, unless it was made within these versions (never told, so
  nothing to take back);
- each workout appears once, from its "before" in the first version that changed it to its "after" in the
  last: the line of a workout changed once is that version's own; one changed several times is said again
  from the payload's fields (type, distance, duration, pace), and left out when it ends as it began.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import planner
from messages import catalogue, reasons, workouts
from messages.audience import Audience
from messages.catalogue import Message
from messages.notifications import MAX_WORKOUT_LINES, NEW_PLAN_CAUSES

TEMPLATE = "plan_updated_combined"
ACTIVE, UNDONE = "active", "undone"  # store.plan_models.DecisionStatus; messages/ does not import store/
MORNING_FROM, AFTERNOON_FROM, EVENING_FROM = 5, 12, 18


@dataclass(frozen=True)
class Update:
    """One `plan.updated` payload's fields, as the combined message reads them."""

    cause: str
    message: Message
    changes: tuple[planner.Change, ...] = ()
    decisions: tuple[tuple[str, int, str], ...] = ()  # (id, revision, status)
    workouts: tuple[Mapping[str, Any], ...] = ()
    created_at: datetime | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], created_at: datetime | None = None) -> Update:
        said = payload.get("message") or {}
        told = [str(r) for r in payload.get("reasons") or ()]
        changes = [c for c in payload.get("changes") or () if isinstance(c, Mapping) and "id" in c]
        return cls(
            cause=str(payload.get("cause") or ""),
            message=Message(
                str(said.get("headline") or ""), str(said.get("body") or ""), tuple(said.get("details") or ())
            ),
            # `reasons` starts with the planner's reason of each change, in order (plans/notify.py): the words
            # said when a change's facts cannot be (a row written before changes had facts).
            changes=tuple(_change(c, told[i] if i < len(told) else "") for i, c in enumerate(changes)),
            decisions=tuple(
                (str(d["id"]), int(d.get("revision") or 1), str(d.get("status") or ACTIVE))
                for d in payload.get("decisions") or ()
                if isinstance(d, Mapping) and "id" in d
            ),
            workouts=tuple(w for w in payload.get("workouts") or () if isinstance(w, Mapping)),
            created_at=created_at,
        )


def _change(given: Mapping[str, Any], reason: str) -> planner.Change:
    return planner.Change(
        id=str(given["id"]),
        code=str(given.get("code") or ""),
        week_start=date.fromisoformat(str(given.get("week_start") or date.min.isoformat())),
        reason=reason,
        facts=dict(given.get("facts") or {}),
    )


@dataclass(frozen=True)
class _Decision:
    id: str
    first_revision: int
    status: str = ACTIVE
    change: planner.Change | None = None
    order: int = 0
    told_in: Update | None = None  # the update that carries its latest evaluation


def combined(audience: Audience, updates: Sequence[Update]) -> Message:
    """The one message of ``updates`` (oldest first); a single update is its own message."""
    if len(updates) == 1:
        return updates[0].message
    if audience.today is None and updates[-1].created_at is not None:
        audience = audience.at(updates[-1].created_at)  # the weeks said from the day it is sent
    newest_plan = max((i for i, u in enumerate(updates) if u.cause in NEW_PLAN_CAUSES), default=None)
    opening = updates[newest_plan].message if newest_plan is not None else None
    later = updates[newest_plan + 1 :] if newest_plan is not None else updates
    if opening is not None and not later:
        return opening
    said = decisions_said(audience, later)
    lines = [] if opening is not None else workout_lines(audience, later)
    when = since(audience, updates[0].created_at, updates[-1].created_at)
    message = catalogue.render(
        TEMPLATE,
        audience,
        opening=opening,
        versions=len(updates),
        since=when,
        reasons=said,
        details=list(
            dict.fromkeys(line for m in [*([opening] if opening else []), *said] for line in m.details)
        ),
        lines=lines[:MAX_WORKOUT_LINES],
        more_lines=max(0, len(lines) - MAX_WORKOUT_LINES),
    )
    if opening is None and not said and not lines:
        # Nothing to say from the fields (rows written before payloads carried them): the newest message's words.
        return Message(message.headline, updates[-1].message.body, updates[-1].message.details)
    return message


def decisions_said(audience: Audience, updates: Sequence[Update]) -> list[Message]:
    """Each decision once, as the last of ``updates`` leaves it, in the order first written."""
    found: dict[str, _Decision] = {}
    for update in updates:
        by_id = {c.id: c for c in update.changes}
        named = update.decisions or tuple((c.id, 1, ACTIVE) for c in update.changes)
        for decision_id, revision, status in named:
            known = found.get(decision_id) or _Decision(decision_id, revision, order=len(found))
            change, told_in = by_id.get(decision_id, known.change), known.told_in
            if decision_id in by_id:
                told_in = update
            found[decision_id] = _Decision(
                decision_id, known.first_revision, status, change, known.order, told_in
            )
    out: dict[str, Message] = {}
    for decision in sorted(found.values(), key=lambda d: d.order):
        message = _said(audience, decision)
        if message is not None and message.body:
            out.setdefault(message.body, message)
    return list(out.values())


def _said(audience: Audience, decision: _Decision) -> Message | None:
    if decision.status == ACTIVE and decision.change is not None:
        if not _told(audience, decision.change, decision.told_in):
            return None
        said = reasons.change_message(audience, decision.change)
        # Said from the planner's words, its headline is only "Your plan changed": no lead for it.
        return said if reasons.from_facts(decision.change) else Message("", said.body, said.details)
    if decision.status == ACTIVE:
        return None
    if decision.first_revision == 1:
        return None  # made and ended within these versions: the athlete was never told of it
    earlier = reasons.change_message(audience, decision.change).headline if decision.change else ""
    week = decision.change.week_start if decision.change else _week_of(decision.id)
    if week is None:
        return None
    ended = catalogue.render(
        "decision_ended", audience, undone=decision.status == UNDONE, week_start=week, earlier=earlier
    )
    return Message("", ended.body, ended.details)  # its body says it all: no lead that says it first


def _told(audience: Audience, change: planner.Change, update: Update | None) -> bool:
    """Whether ``update``'s own message said ``change``: one it left out, a revision of a decision whose
    workouts were all behind the athlete (messages/notifications.py told), is left out here too. Its message
    was rendered when it was written, for the reader then; when it says none of its changes as they read now
    (the athlete changed their units since), each is taken as said."""
    if update is None or not update.message.body:
        return True
    reader = audience.at(update.created_at) if update.created_at is not None else audience
    said = {c.id for c in update.changes if reasons.change_message(reader, c).body in update.message.body}
    return change.id in said or not said


def _week_of(decision_id: str) -> date | None:
    """The week a decision is about, from its id ("<code>@<week start>", docs/api.md#decisions)."""
    try:
        return date.fromisoformat(decision_id.rsplit("@", 1)[1])
    except (IndexError, ValueError):
        return None


def workout_lines(audience: Audience, updates: Sequence[Update]) -> list[str]:
    """Each changed workout once, in date order: from its first "before" to its last "after"."""
    first: dict[str, Mapping[str, Any]] = {}
    last: dict[str, Mapping[str, Any]] = {}
    times: dict[str, int] = {}
    for update in updates:
        for entry in update.workouts:
            key = str(entry.get("workout_id"))
            first.setdefault(key, entry)
            last[key] = entry
            times[key] = times.get(key, 0) + 1
    lines = []
    for key, entry in last.items():
        before, after = first[key].get("before"), entry.get("after")
        if times[key] == 1:
            text: str | None = str(entry.get("text") or "")
        elif before == after:
            text = None  # changed, then changed back
        else:
            text = workouts.change_line(audience, _workout(key, before), _workout(key, after))
        if text:
            lines.append((str((after or before or {}).get("date") or entry.get("date") or ""), key, text))
    return [text for *_, text in sorted(lines)]


def _workout(key: str, summary: Mapping[str, Any] | None) -> planner.Workout | None:
    """A workout from a payload's summary of it (docs/notifications.md: `date`, `type`, `distance_m`,
    `duration_s`, `pace_s_per_km`); None for a side that is null."""
    if summary is None:
        return None
    return planner.Workout(
        id=key,
        date=date.fromisoformat(str(summary["date"])),
        type=planner.WorkoutType(summary["type"]),
        distance_m=float(summary["distance_m"]),
        duration_s=float(summary["duration_s"]),
        pace=(float(summary["pace_s_per_km"][0]), float(summary["pace_s_per_km"][1])),
    )


def since(audience: Audience, first: datetime | None, last: datetime | None) -> dict[str, Any] | None:
    """When the first of the versions was written, as the athlete's day sees it from the last: days before,
    the part of that day, and the day; None when not known."""
    if first is None or last is None:
        return None
    start, end = audience.local(first), audience.local(last)
    hour = start.hour
    part = (
        "night"
        if hour < MORNING_FROM
        else "morning"
        if hour < AFTERNOON_FROM
        else "afternoon"
        if hour < EVENING_FROM
        else "evening"
    )
    return {"days": (end.date() - start.date()).days, "part": part, "day": start.date()}
