"""Coalesced delivery of `plan.updated` on the real PostgreSQL to a local receiver (docs/notifications.md,
"Coalescing"): a burst is one message with every change, rows apart are apart, a failed merged message is
retried whole and delivered once, a crash before the send loses nothing, dead letters replay whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from composition.root import Container
from notify.channels import AppWebhook, Sent
from notify.delivery import BUSY_RECHECK_S, Notifier
from notify.receiver import Receiver
from store import outbox_repository
from store.db import UnitOfWork
from store.plan_models import NotificationOutbox
from tests.integration.conftest import ATHLETE_ID, WEBHOOK_SECRET, Clock, connect_athlete
from tests.integration.helpers_notify import enqueue, exact_notifier, receiver_webhook, set_channels

pytestmark = pytest.mark.integration

WINDOW_S = 120.0
OTHER_ATHLETE = 134816


@pytest.fixture
def clock() -> Clock:
    # Real time (the receiver checks the signature's timestamp); moved forward by hand.
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def athlete(container: Container, receiver: Receiver) -> int:
    connect_athlete(container)
    set_channels(container, f"json://127.0.0.1:{receiver.port}/phone")
    return ATHLETE_ID


def notifier(
    container: Container,
    receiver: Receiver,
    clock: Clock,
    *,
    window_s: float = WINDOW_S,
    max_attempts: int = 4,
    app: AppWebhook | None = None,
) -> Notifier:
    return exact_notifier(
        container,
        clock,
        app=app or receiver_webhook(receiver),
        max_attempts=max_attempts,
        coalesce_window_s=window_s,
        allow_private_targets=True,  # the receiver listens on 127.0.0.1
    )


def update_payload(version: int, *, reason: str | None = None, change: str | None = None) -> dict[str, Any]:
    """A plan.updated payload of this plan version: one changed workout, a reason, the athlete's message."""
    return {
        "athlete_id": ATHLETE_ID,
        "plan_id": 7,
        "version": version,
        "cause": "synced",
        "changes": [{"id": change or f"volume@v{version}", "code": "volume", "week_start": "2026-07-27"}],
        "reasons": [reason or f"Reason of version {version}."],
        "message": {"headline": f"Headline {version}", "body": f"Body {version}", "details": [f"d{version}"]},
    }


def write(
    container: Container,
    clock: Clock,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    event_type: str = "plan.updated",
    athlete_id: int = ATHLETE_ID,
) -> int:
    key = key or f"plan.updated:7:v{payload['version']}"
    with UnitOfWork(container.sessions) as uow:
        enqueue(uow.session, key, payload, event_type=event_type, athlete_id=athlete_id, now=clock.now)
        uow.commit()
        return uow.session.scalars(
            select(NotificationOutbox.id).where(NotificationOutbox.idempotency_key == key)
        ).one()


def rows(container: Container) -> dict[int, NotificationOutbox]:
    with container.sessions() as session:
        return {r.id: r for r in session.scalars(select(NotificationOutbox).order_by(NotificationOutbox.id))}


def test_five_updates_within_the_window_are_one_message_with_every_change(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    service = notifier(container, receiver, clock)
    ids, held = [], []
    for version in range(2, 7):
        # Versions 3 and 4 give the same reason: it is said once.
        reason = "Same reason twice." if version in (3, 4) else None
        ids.append(write(container, clock, update_payload(version, reason=reason)))
        result = service.deliver(ids[-1])  # each row's task runs as soon as the row is committed
        held.append((result.outcome, result.recheck_in_s))
        clock.advance(10)
    # Each new row's task holds a countdown: to a window after it.
    assert held == [("coalescing", WINDOW_S)] * 5
    assert receiver.received == []

    clock.advance(WINDOW_S - 10 - 5)  # 5 s before the window after the newest row passes: still held
    assert service.deliver(ids[-1]).outcome == "not_due"
    older = service.deliver(ids[0])  # e.g. the sweeper: an older row waits too, without a countdown
    assert (older.outcome, older.recheck_in_s) == ("coalescing", None)
    clock.advance(5)
    assert service.deliver(ids[-1]).outcome == "delivered"
    assert [service.deliver(i).outcome for i in ids] == ["already_delivered"] * 5

    [message] = receiver.webhooks()
    assert message.verified
    assert message.headers["webhook-id"] == "plan.updated:7:v6"  # the newest row's key carries the message
    data = message.json()["data"]
    assert data["version"] == 6
    assert [c["id"] for c in data["changes"]] == [f"volume@v{v}" for v in range(2, 7)]
    assert data["reasons"] == [
        "Reason of version 2.",
        "Same reason twice.",
        "Reason of version 5.",
        "Reason of version 6.",
    ]
    # One message from the catalogue (messages/combined.py): the versions counted, each reason once.
    assert data["message"]["headline"].startswith("Your plan changed 5 times")
    assert data["message"]["body"] == "\n\n".join(data["reasons"])
    assert [m["headline"] for m in data["messages"]] == [f"Headline {v}" for v in range(6, 1, -1)]
    assert data["merged"] == [
        {"outbox_id": outbox_id, "idempotency_key": f"plan.updated:7:v{v}"}
        for outbox_id, v in zip(ids, range(2, 7), strict=True)
    ]
    [phone] = receiver.others()  # the athlete's own channel: one message too
    assert all(phone.json()["message"].count(reason) == 1 for reason in data["reasons"])  # each said once
    stored = rows(container)
    assert {r.status for r in stored.values()} == {"delivered"}
    assert {r.merged_into for r in stored.values()} == {ids[-1]}
    assert {r.delivered_at for r in stored.values()} == {clock.now}


def test_rows_apart_other_athletes_and_other_types_are_separate_messages(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    connect_athlete(container, OTHER_ATHLETE)
    service = notifier(container, receiver, clock)
    first = write(container, clock, update_payload(2))
    other = write(container, clock, update_payload(2) | {"athlete_id": OTHER_ATHLETE}, key="plan.updated:8:v2",
                  athlete_id=OTHER_ATHLETE)  # fmt: skip
    matched = write(container, clock, {"athlete_id": ATHLETE_ID, "reasons": ["Matched."]},
                    key="workout.matched:7:w1:1", event_type="workout.matched")  # fmt: skip
    assert service.deliver(matched).outcome == "delivered"  # other types are never held
    assert service.deliver(first).outcome == "coalescing"
    clock.advance(WINDOW_S)
    assert service.deliver(first).outcome == "delivered"
    assert service.deliver(other).outcome == "delivered"
    clock.advance(1)
    later = write(container, clock, update_payload(3))  # written after the first was sent: a new message
    assert service.deliver(later).outcome == "coalescing"
    clock.advance(WINDOW_S)
    assert service.deliver(later).outcome == "delivered"

    sent = [(m.headers["webhook-id"], m.json()["data"]) for m in receiver.webhooks()]
    assert [key for key, _ in sent] == [
        "workout.matched:7:w1:1",
        "plan.updated:7:v2",
        "plan.updated:8:v2",
        "plan.updated:7:v3",
    ]
    assert "merged" not in sent[0][1]
    assert [[m["outbox_id"] for m in data["merged"]] for _, data in sent[1:]] == [[first], [other], [later]]
    assert {r.merged_into for r in rows(container).values()} == {None, first, other, later}


def test_a_burst_without_pause_is_held_at_most_five_windows(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    service = notifier(container, receiver, clock, window_s=60)
    ids = []
    for version in range(2, 12):  # one every 40 s, for 400 s: each within a window of the one before
        ids.append(write(container, clock, update_payload(version)))
        if version == 9:  # 280 s after the first
            assert service.deliver(ids[-1]).outcome == "coalescing"
        clock.advance(40)
    # 400 s after the first: the newest is 40 s old, but the group has been held five windows (300 s).
    assert service.deliver(ids[-1]).outcome == "delivered"
    [message] = receiver.webhooks()
    assert len(message.json()["data"]["merged"]) == 10


def test_a_failed_merged_message_is_retried_whole_and_delivered_once(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    receiver.responses[:] = [500]  # the app's endpoint fails once; the athlete's channel answers 200
    service = notifier(container, receiver, clock)
    ids = [write(container, clock, update_payload(v)) for v in (2, 3, 4)]
    clock.advance(WINDOW_S)
    first = service.deliver(ids[0])
    assert (first.outcome, first.retry_in_s) == ("retrying", 30.0)
    stored = rows(container)
    assert [stored[i].merged_into for i in ids] == [ids[-1]] * 3
    assert {r.status for r in stored.values()} == {"pending"}
    assert service.deliver(ids[0]).outcome == "carried"  # a carried row's task leaves it to the carrier

    late = write(container, clock, update_payload(5))  # after the merge: not added to the message sent
    clock.advance(60)
    # The sweeper's view: the carrier (due) and the new row (never tried); never a carried row.
    assert service.due(stale_after_s=0) == [ids[-1], late]
    assert service.deliver(ids[-1]).outcome == "delivered"

    attempts = receiver.webhooks()
    assert len(attempts) == 2
    assert {m.headers["webhook-id"] for m in attempts} == {"plan.updated:7:v4"}
    assert attempts[0].body == attempts[1].body  # the same merged message, not re-merged
    assert [m["idempotency_key"] for m in attempts[1].json()["data"]["merged"]] == [
        "plan.updated:7:v2",
        "plan.updated:7:v3",
        "plan.updated:7:v4",
    ]
    assert len(receiver.others()) == 1  # the channel that got it is not sent it again
    stored = rows(container)
    assert [stored[i].status for i in ids] == ["delivered"] * 3
    assert stored[late].status == "pending"
    assert stored[late].merged_into is None


class Crash(Exception):
    pass


class CrashingApp(AppWebhook):
    def send(self, **kwargs: Any) -> Sent:
        raise Crash("the worker died during the send")


def test_a_crash_between_merge_and_send_loses_nothing(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    ids = [write(container, clock, update_payload(v)) for v in (2, 3)]
    crashing_app = CrashingApp(f"{receiver.url}/webhooks", WEBHOOK_SECRET, timeout_s=5)
    crashing = notifier(container, receiver, clock, app=crashing_app)
    assert crashing.deliver(ids[1]).outcome == "coalescing"
    clock.advance(WINDOW_S)
    with pytest.raises(Crash):
        crashing.deliver(ids[1])
    stored = rows(container)
    assert [stored[i].merged_into for i in ids] == [None, None]  # the merge was rolled back with the attempt
    assert [stored[i].payload for i in ids] == [update_payload(2), update_payload(3)]

    service = notifier(container, receiver, clock)
    assert service.due(stale_after_s=0) == ids  # the sweeper re-drives them
    assert service.deliver(ids[0]).outcome == "delivered"
    [message] = receiver.webhooks()
    assert [m["outbox_id"] for m in message.json()["data"]["merged"]] == ids


def test_a_dead_merged_message_is_replayed_whole(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    receiver.responses[:] = [500]
    service = notifier(container, receiver, clock, max_attempts=1)
    ids = [write(container, clock, update_payload(v)) for v in (2, 3)]
    clock.advance(WINDOW_S)
    assert service.deliver(ids[0]).outcome == "dead"
    stored = rows(container)
    assert [stored[i].status for i in ids] == ["dead", "dead"]
    assert stored[ids[0]].last_error == f"sent as notification {ids[1]}: app: HTTP 500 (retryable)"

    with UnitOfWork(container.sessions) as uow:  # the operator names only the carried row
        replayed = outbox_repository.replay_dead(uow.session, ids=[ids[0]])
        uow.commit()
    assert replayed == ids
    assert service.deliver(ids[0]).outcome == "carried"
    assert service.deliver(ids[1]).outcome == "delivered"
    assert [r.status for r in rows(container).values()] == ["delivered", "delivered"]
    first, second = receiver.webhooks()
    assert first.body == second.body


def test_a_row_another_worker_holds_makes_the_merge_look_again_soon(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    service = notifier(container, receiver, clock)
    ids = [write(container, clock, update_payload(v)) for v in (2, 3)]
    clock.advance(WINDOW_S)
    with container.sessions() as other:  # another worker checking the older row right now
        other.scalars(
            select(NotificationOutbox).where(NotificationOutbox.id == ids[0]).with_for_update()
        ).one()
        busy = service.deliver(ids[1])
    assert (busy.outcome, busy.recheck_in_s) == ("busy", BUSY_RECHECK_S)
    assert receiver.received == []
    assert service.deliver(ids[1]).outcome == "delivered"
    [message] = receiver.webhooks()
    assert len(message.json()["data"]["merged"]) == 2


def test_with_the_window_at_zero_every_update_is_sent_at_once_on_its_own(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    service = notifier(container, receiver, clock, window_s=0)
    ids = [write(container, clock, update_payload(v)) for v in (2, 3)]
    assert [service.deliver(i).outcome for i in ids] == ["delivered", "delivered"]
    sent = [m.json()["data"] for m in receiver.webhooks()]
    assert [data["version"] for data in sent] == [2, 3]
    assert [[m["outbox_id"] for m in data["merged"]] for data in sent] == [[ids[0]], [ids[1]]]


def test_the_task_holds_one_countdown_to_the_end_of_the_window(
    container: Container, receiver: Receiver, clock: Clock, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import jobs

    service = notifier(container, receiver, clock)
    monkeypatch.setattr(jobs, "container", lambda: type("C", (), {"notifier": service})())
    countdowns: list[float] = []

    class Retry(Exception):
        pass

    def retry(countdown: float, max_retries: int | None) -> Exception:
        countdowns.append(countdown)
        return Retry()

    monkeypatch.setattr(jobs.deliver, "retry", retry)
    older = write(container, clock, update_payload(2))
    clock.advance(30)
    newer = write(container, clock, update_payload(3))
    assert jobs.deliver(older) == "coalescing"  # not the newest: no countdown of its own
    with pytest.raises(Retry):
        jobs.deliver(newer)
    assert countdowns == [WINDOW_S]
    clock.advance(WINDOW_S)
    assert jobs.deliver(newer) == "delivered"
