"""One step of the demo's story: move the story's clock, let "Strava" push one event through the simulator, wait
until the real API and worker have handled it and the athlete's notifications have arrived, and say what it
caused: the decisions (from the API's change log) and the messages (from the webhook receiver).

The story's clock is the processes' plan clock (composition.root.plan_clock, RUNSMART_DEMO_CLOCK_FILE): a file
holding the seconds between now and the story's time, so weeks of a season pass in a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from notify.receiver import Receiver
from store import plan_repository, repository, source_repository
from store.db import engine_for, session_factory
from store.models import Activity, ActivityCopy, EventStatus
from store.plan_models import OutboxStatus

PLAN_UPDATED = "plan.updated"
STEP_TIMEOUT_S = 180.0  # a backstop only: each wait returns as soon as what it waits for is there
POLL_S = 0.05


@dataclass(frozen=True)
class Decision:
    """A decision the step made or revised, as the API's change log (GET …/plan/changes) shows it."""

    id: str
    code: str
    week_start: str
    revision: int
    status: str
    reason: str

    @property
    def what(self) -> str:
        if self.status != "active":
            return self.status  # withdrawn, undone
        return "made" if self.revision == 1 else f"revised (revision {self.revision})"


@dataclass(frozen=True)
class Seen:
    """A notification as the athlete's app received it: its type and the text the athlete reads."""

    type: str
    verified: bool
    headline: str
    body: str
    details: tuple[str, ...]
    payload: dict[str, Any]

    @classmethod
    def of(cls, event_type: str, verified: bool, data: dict[str, Any]) -> Seen:
        # The message catalogue's text when the payload carries it; before that, the plain reasons.
        message = data.get("message")
        if isinstance(message, dict):
            details = tuple(str(d) for d in message.get("details") or ())
            return cls(
                event_type,
                verified,
                str(message.get("headline") or ""),
                str(message.get("body") or ""),
                details,
                data,
            )
        reasons = [str(r) for r in data.get("reasons") or ()]
        return cls(event_type, verified, "", "\n".join(reasons), (), data)

    def texts(self) -> list[str]:
        return [self.headline, self.body, *self.details]


class Via(StrEnum):
    """How an event of the story reached RunSmart."""

    STRAVA = "strava"  # a push from Strava (the simulator)
    FILE = "file"  # an activity file the app uploaded (POST …/activities)
    PLAN = "plan"  # the app asked for a plan (PUT …/plan)
    CONNECTOR = "connector"  # the app connected a calendar (PUT …/connectors/intervals-icu)


@dataclass(frozen=True)
class Told:
    """One event of the story and what it caused."""

    chapter: str
    day: date
    event: str
    decisions: tuple[Decision, ...]
    messages: tuple[Seen, ...]
    via: Via = Via.STRAVA


@dataclass(frozen=True)
class Run:
    """A run as RunSmart holds it: the one activity, and every source's copy filed under it."""

    activity: Activity
    copies: tuple[ActivityCopy, ...]


class StoryClock:
    """The story's time, in the athlete's zone, written for the API and worker processes to read."""

    def __init__(self, path: Path, timezone: str) -> None:
        self.path = path
        self.zone = ZoneInfo(timezone)

    def set(self, day: date, at: clock_time) -> None:
        story = datetime.combine(day, at, tzinfo=self.zone)
        offset = story.timestamp() - time.time()
        # Written whole, then renamed: a reader never sees half a number.
        partial = self.path.with_suffix(".tmp")
        partial.write_text(f"{offset:.3f}")
        partial.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def change_log(api: str, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = requests.get(f"{api}/plan/changes", headers=auth, timeout=30)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()
    return items


def _decision(item: dict[str, Any]) -> Decision:
    status = str(item.get("status") or ("undone" if item.get("undone") else "active"))
    return Decision(
        id=str(item["id"]),
        code=str(item.get("code", "")),
        week_start=str(item.get("week_start", "")),
        revision=int(item.get("revision") or 1),
        status=status,
        reason=str(item.get("reason") or ""),
    )


class Stepper:
    """Pushes the story's events one at a time and waits for each to be handled and announced."""

    def __init__(
        self,
        *,
        api: str,
        auth: dict[str, str],
        database_url: str,
        athlete_id: int,
        receiver: Receiver,
        clock: StoryClock,
        wait_pushed: Callable[[], Any],
    ) -> None:
        self.api, self.auth, self.athlete_id = api, auth, athlete_id
        self.receiver, self.clock, self._wait_pushed = receiver, clock, wait_pushed
        self._sessions = session_factory(engine_for(database_url))
        self._events = self._event_count()
        self._seen = 0
        self._known: dict[str, Decision] = {}

    def step(self, chapter: str, day: date, at: clock_time, event: str, push: Callable[[], Any]) -> Told:
        """At `day`, `at` (story time) do `push` (one Strava event) and report what it caused."""
        self.clock.set(day, at)
        push()
        self._events += 1
        self._wait_pushed()
        self._wait_until_handled()
        return self.settle(chapter, day, event)

    def call(
        self, chapter: str, day: date, at: clock_time, event: str, call: Callable[[], Any], via: Via
    ) -> Told:
        """At `day`, `at` (story time) make one call of the app's API and report what it caused. The API does
        its work in the request; what it wrote to the outbox (messages, a calendar sync) is waited for."""
        self.clock.set(day, at)
        call()
        return self.settle(chapter, day, event, via)

    def settle(self, chapter: str, day: date, event: str, via: Via = Via.STRAVA) -> Told:
        """Wait for the notifications of what just happened, then report it (with the decisions it caused)."""
        self._wait_until_delivered()
        return Told(chapter, day, event, self._new_decisions(), self._new_messages(), via)

    def run(self, activity_id: int) -> Run:
        """The activity `activity_id` and its copies, as the database holds them now."""
        with self._sessions() as session:
            activity = source_repository.run(session, activity_id)
            if activity is None:
                raise LookupError(f"RunSmart holds no activity {activity_id}")
            return Run(activity, tuple(source_repository.copies_of(session, activity_id)))

    def _new_messages(self) -> tuple[Seen, ...]:
        received = self.receiver.webhooks()
        fresh, self._seen = received[self._seen :], len(received)
        out = []
        for message in fresh:
            envelope = message.json()
            out.append(Seen.of(str(envelope["type"]), bool(message.verified), envelope.get("data") or {}))
        return tuple(out)

    def _new_decisions(self) -> tuple[Decision, ...]:
        current = [_decision(item) for item in change_log(self.api, self.auth)]
        changed = [
            d
            for d in current
            if (known := self._known.get(d.id)) is None
            or (known.revision, known.status) != (d.revision, d.status)
        ]
        self._known = {d.id: d for d in current}
        return tuple(sorted(changed, key=lambda d: (d.week_start, d.id)))

    def _event_count(self) -> int:
        with self._sessions() as session:
            return sum(repository.count_events_by_status(session).values())

    def _wait_until_handled(self) -> None:
        def handled() -> bool:
            with self._sessions() as session:
                counts = repository.count_events_by_status(session)
            stuck = {
                s: n
                for s, n in counts.items()
                if s in (EventStatus.FAILED, EventStatus.AWAITING_REAUTH) and n
            }
            if stuck:
                raise RuntimeError(f"an event of the story was not handled: {stuck}; see the worker's log")
            return sum(counts.values()) >= self._events and not counts.get(EventStatus.PENDING)

        _wait(handled, "the worker to handle the event")

    def _wait_until_delivered(self) -> None:
        # Every notification the event wrote (in its own transaction) has been sent: a plan.updated is held for
        # the coalescing window first, so this waits for the window, never for a guessed time.
        def delivered() -> bool:
            with self._sessions() as session:
                rows = plan_repository.notifications(session, self.athlete_id)
            return not any(row.status == OutboxStatus.PENDING for row in rows)

        _wait(delivered, "the athlete's notifications to be delivered")


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {STEP_TIMEOUT_S:.0f}s waiting for {what}")
        time.sleep(POLL_S)
