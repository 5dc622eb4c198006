"""How an attempt at an inbox event ended: the `outcome` stored on `strava_events` and `strava_event_attempts`.

Here, in store/, because sync/ decides outcomes, plans/ reacts to them and store/'s queries select by them
(sync and plans are independent siblings above store, pyproject's import-linter contracts). The values are
what the database holds and what operators read in the metrics: renaming one is a data migration.
"""

from __future__ import annotations

from enum import StrEnum


class EventOutcome(StrEnum):
    # The athlete's data changed: the plan pipeline runs in the event's transaction (PLAN_INPUT_CHANGES).
    SYNCED = "synced"
    UPDATED_LOCALLY = "updated_locally"  # a title or privacy edit applied from the event body
    DELETED = "deleted"
    DELETED_UNCONFIRMED = "deleted_unconfirmed"  # the grant is dead: removed without a tombstone
    DEAUTHORIZED = "deauthorized"

    # Handled; nothing the plan reads changed.
    SYNCED_NEWER_COPY_KEPT = "synced_newer_copy_kept"
    TOMBSTONED = "tombstoned"  # a confirmed delete of a run we never stored
    ALREADY_DELETED = "already_deleted"
    ALREADY_REVOKED = "already_revoked"
    ALREADY_HANDLED = "already_handled"
    IGNORED_ATHLETE_UPDATE = "ignored_athlete_update"
    IGNORED_UNKNOWN_ATHLETE = "ignored_unknown_athlete"
    IGNORED_REVOKED_ATHLETE = "ignored_revoked_athlete"
    IGNORED_OWNER_MISMATCH = "ignored_owner_mismatch"
    IGNORED_DELETED = "ignored_deleted"
    IGNORED_UNCHANGED = "ignored_unchanged"
    IGNORED_DELETE_UNVERIFIABLE = "ignored_delete_unverifiable"
    IGNORED_DELETE_NOT_CREDIBLE = "ignored_delete_not_credible"
    IGNORED_DELETE_DISPROVED_BY_READ = "ignored_delete_disproved_by_read"
    IGNORED_DELETE_NOT_CONFIRMED = "ignored_delete_not_confirmed"
    IGNORED_MALFORMED_DEAUTHORIZATION = "ignored_malformed_deauthorization"
    DEAUTH_REJECTED_GRANT_ALIVE = "deauth_rejected_grant_alive"
    DEFERRED_TO_RECONCILE = "deferred_to_reconcile"  # the athlete's allowance is spent (docs/security.md)
    NOT_FOUND_ALLOWANCE_SPENT = "not_found_allowance_spent"
    GONE = "gone"  # still 404 after the retries a fresh create deserves
    REJECTED = "rejected"  # a 4xx with no rule: the same request gets the same answer

    # Not handled by this attempt: nothing was written (another worker holds the row, or it does not exist).
    BUSY = "busy"
    MISSING = "missing"

    # Waiting: pending again at `next_attempt_at` (a `_parked` wait is too long for a countdown).
    RETRYING = "retrying"
    NOT_FOUND_RETRYING = "not_found_retrying"
    RATE_LIMITED = "rate_limited"
    RATE_LIMITED_PARKED = "rate_limited_parked"
    APP_PAUSED = "app_paused"
    APP_PAUSED_PARKED = "app_paused_parked"
    APP_INACTIVE = "app_inactive"
    APP_INACTIVE_PARKED = "app_inactive_parked"
    DELETE_PARKED = "delete_parked"  # a stored run's pushed delete waiting until the allowance frees
    AWAITING_REAUTH = "awaiting_reauth"
    FAILED = "failed"  # retries spent; re-driven an hour later

    @property
    def parked(self) -> EventOutcome:
        """The same wait, parked as a row for the sweeper (ValueError for an outcome that is not a wait)."""
        return EventOutcome(f"{self.value}_parked")

    @property
    def changes_plan_inputs(self) -> bool:
        """Whether the runs (or the connection) the athlete's plan is derived from changed."""
        return self in PLAN_INPUT_CHANGES


PLAN_INPUT_CHANGES = frozenset(
    {
        EventOutcome.SYNCED,
        EventOutcome.UPDATED_LOCALLY,
        EventOutcome.DELETED,
        EventOutcome.DELETED_UNCONFIRMED,
        EventOutcome.DEAUTHORIZED,
    }
)

# The waits parked as rows for the sweeper (what `parked` returns), counted apart in the ops metrics.
PARKED_OUTCOMES = frozenset(o for o in EventOutcome if o.value.endswith("_parked"))
