"""What an unverifiable event may cost: the per-athlete allowance for Strava calls that disprove pushes.

Strava signs no event (docs/security.md), and an athlete id and an activity id are public numbers, so anyone
can push "athlete A created activity N" for made-up N. Each such event would cost a GET that answers 404 (and
the retries a 404 right after a real create deserves), taken from the app-wide budget that every athlete
shares. Events for athletes without a connection cost nothing (they are dropped before any call); for a
connected athlete, the calls that disproved a pushed event (404, another athlete's run, a delete Strava does
not confirm) are counted from the attempt log over a window, and once the athlete's allowance is spent, further
unverifiable events make no call: they are left to reconciliation (within about one window, by
`reconcile.deferred`), whose list call finds the real runs, and a delete of a run we hold waits as a parked row
until a call frees (docs/security.md, "Forged and unverifiable events").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy.orm import Session

from store import repository
from store.db import as_utc
from store.outcomes import EventOutcome

# Outcomes of attempts whose Strava call disproved the event (or found nothing of the owner's).
DISPROVED_OUTCOMES = (
    EventOutcome.NOT_FOUND_RETRYING,
    EventOutcome.GONE,
    EventOutcome.IGNORED_OWNER_MISMATCH,
    EventOutcome.IGNORED_DELETED,
    EventOutcome.IGNORED_DELETE_NOT_CONFIRMED,
    EventOutcome.IGNORED_UNCHANGED,
    EventOutcome.TOMBSTONED,
)

UNVERIFIED_EVENT_CALLS = Counter(
    "runsmart_unverified_event_calls_total",
    "Strava calls on pushed events that Strava disproved (spent), and calls refused once the athlete's "
    "allowance was spent (refused)",
    ["decision"],
)


@dataclass(frozen=True)
class UnverifiedAllowance:
    limit: int = 20
    window_s: int = 3600

    def spent(self, session: Session, athlete_id: int, now: datetime) -> bool:
        since = now - timedelta(seconds=self.window_s)
        used = repository.unverified_calls_since(session, athlete_id, since, DISPROVED_OUTCOMES)
        return used >= self.limit

    def frees_at(self, session: Session, athlete_id: int, now: datetime) -> datetime:
        """When the athlete's oldest counted call leaves the window (a slot frees); `now` if none counts."""
        since = now - timedelta(seconds=self.window_s)
        oldest = repository.oldest_unverified_call_since(session, athlete_id, since, DISPROVED_OUTCOMES)
        # The window includes its start (`spent` counts attempts at `since` or later): a second past it.
        return now if oldest is None else max(now, as_utc(oldest) + timedelta(seconds=self.window_s + 1))


def count_spent() -> None:
    UNVERIFIED_EVENT_CALLS.labels(decision="spent").inc()


def count_refused() -> None:
    UNVERIFIED_EVENT_CALLS.labels(decision="refused").inc()
