"""Outbox delivery on the real PostgreSQL to a local receiver: signatures, backoff, dead letter, idempotency,
the row lock, apprise fan-out, the sweeper's selection and the after-commit publish."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, literal, literal_column, select
from standardwebhooks import Webhook

from composition.root import Container
from notify import publish
from notify.channels import Sent
from notify.delivery import DeliveryPolicy, Notifier
from notify.receiver import Receiver
from store.db import UnitOfWork
from store.models import Athlete
from store.plan_models import NotificationOutbox
from tests.integration.conftest import ATHLETE_ID, WEBHOOK_SECRET, Clock, connect_athlete, update_row
from tests.integration.helpers_notify import enqueue, exact_notifier, receiver_webhook, set_channels

pytestmark = pytest.mark.integration

T0 = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)


def notifier(
    container: Container,
    receiver: Receiver | None,
    clock: Clock,
    *,
    max_attempts: int = 4,
    timeout: float = 5,
    allow_private_targets: bool = True,
) -> Notifier:
    return exact_notifier(
        container,
        clock,
        app=receiver_webhook(receiver, timeout_s=timeout) if receiver else None,
        max_attempts=max_attempts,
        # The receiver listens on 127.0.0.1: loopback targets are allowed explicitly, as in the demo.
        allow_private_targets=allow_private_targets,
    )


def write_row(container: Container, key: str = "plan.updated:1:v2", **payload: Any) -> int:
    usual = {"athlete_id": ATHLETE_ID, "reasons": ["Last week was 45 % of plan: next week steps back."]}
    with UnitOfWork(container.sessions) as uow:
        enqueue(uow.session, key, usual | payload)
        uow.commit()
    return row(container, key).id


def row(container: Container, key: str) -> NotificationOutbox:
    with container.sessions() as session:
        return session.scalars(
            select(NotificationOutbox).where(NotificationOutbox.idempotency_key == key)
        ).one()


@pytest.fixture
def athlete(container: Container) -> int:
    connect_athlete(container)
    return ATHLETE_ID


def test_a_delivery_is_signed_per_standard_webhooks_and_never_sent_twice(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    outbox_id = write_row(container)
    service = notifier(container, receiver, clock)

    assert service.deliver(outbox_id).outcome == "delivered"
    assert service.deliver(outbox_id).outcome == "already_delivered"

    [message] = receiver.webhooks()
    assert message.headers["webhook-id"] == "plan.updated:1:v2"
    # The app's side: the reference package verifies the signature and returns the parsed body.
    body = Webhook(WEBHOOK_SECRET).verify(message.body, message.headers)
    assert body["type"] == "plan.updated"
    assert body["data"]["reasons"] == ["Last week was 45 % of plan: next week steps back."]
    assert "_delivery" not in body["data"]
    stored = row(container, "plan.updated:1:v2")
    assert stored.status == "delivered"
    assert stored.delivered_at is not None
    assert stored.attempts == 0


def test_a_tampered_body_or_wrong_secret_does_not_verify(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    notifier(container, receiver, clock).deliver(write_row(container))
    [message] = receiver.webhooks()
    other = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()
    with pytest.raises(Exception, match="signature"):
        Webhook(other).verify(message.body, message.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(WEBHOOK_SECRET).verify(message.body.replace(b"45", b"95"), message.headers)


def test_failures_back_off_exponentially_then_deliver_with_the_same_id_and_body(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    receiver.responses[:] = [500, 503]
    outbox_id = write_row(container)
    service = notifier(container, receiver, clock)

    first = service.deliver(outbox_id)
    assert (first.outcome, first.retry_in_s) == ("retrying", 30.0)  # base 30 s, jitter at its top
    assert service.deliver(outbox_id).outcome == "not_due"  # an early copy sends nothing
    clock.advance(30)
    second = service.deliver(outbox_id)
    assert (second.outcome, second.retry_in_s) == ("retrying", 60.0)
    stored = row(container, "plan.updated:1:v2")
    assert stored.attempts == 2
    assert stored.last_error == "app: HTTP 503 (retryable)"
    assert stored.next_attempt_at == clock.now + timedelta(seconds=60)
    clock.advance(60)
    assert service.deliver(outbox_id).outcome == "delivered"

    messages = receiver.webhooks()
    assert len(messages) == 3
    assert {m.headers["webhook-id"] for m in messages} == {"plan.updated:1:v2"}
    assert {m.body for m in messages} == {messages[0].body}
    assert all(m.verified for m in messages)


def test_jitter_keeps_waits_within_half_and_all_of_the_exponential_cap() -> None:
    policy = DeliveryPolicy(base_s=30, max_s=600)
    assert policy.backoff(0, lambda: 0.0) == 15
    assert policy.backoff(3, lambda: 0.5) == pytest.approx(180)
    assert policy.backoff(10, lambda: 1.0) == 600  # bounded


def test_dead_letter_after_n_failures_and_nothing_more_is_sent(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    receiver.responses[:] = [500] * 10
    outbox_id = write_row(container)
    service = notifier(container, receiver, clock, max_attempts=3)
    outcomes = []
    for _ in range(3):
        outcomes.append(service.deliver(outbox_id).outcome)
        clock.advance(3600)
    assert outcomes == ["retrying", "retrying", "dead"]
    assert service.deliver(outbox_id).outcome == "already_dead"
    assert len(receiver.webhooks()) == 3
    stored = row(container, "plan.updated:1:v2")
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("dead", 3, None)


def test_every_request_times_out(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    receiver.delay_s = 1.5
    outbox_id = write_row(container)
    result = notifier(container, receiver, clock, timeout=0.3).deliver(outbox_id)
    assert result.outcome == "retrying"
    assert row(container, "plan.updated:1:v2").last_error == "app: timeout"


def test_a_row_locked_by_another_worker_is_skipped(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    outbox_id = write_row(container)
    with container.sessions() as other:
        other.scalars(
            select(NotificationOutbox).where(NotificationOutbox.id == outbox_id).with_for_update()
        ).one()
        assert notifier(container, receiver, clock).deliver(outbox_id).outcome == "busy"
    assert receiver.webhooks() == []
    assert notifier(container, receiver, clock).deliver(outbox_id).outcome == "delivered"


def test_apprise_fans_out_and_a_delivered_channel_is_not_repeated_on_retry(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    set_channels(container, f"json://127.0.0.1:{receiver.port}/ntfy", "notaservice://nowhere")
    receiver.responses[:] = [500]  # the app webhook fails once; apprise's post gets 200
    outbox_id = write_row(container)
    service = notifier(container, receiver, clock)

    first = service.deliver(outbox_id)
    assert first.outcome == "retrying"
    clock.advance(3600)
    assert service.deliver(outbox_id).outcome == "delivered"

    [direct] = receiver.others()  # once, although the row was attempted twice
    assert direct.path == "/ntfy"
    sent = direct.json()
    assert sent["title"] == "Your training plan was updated"
    assert sent["message"] == "Last week was 45 % of plan: next week steps back."
    state = row(container, "plan.updated:1:v2").payload["_delivery"]
    assert state["app"]["status"] == "delivered"
    assert state["app"]["attempts"] == 2
    by_status = sorted(v["status"] for k, v in state.items() if k.startswith("apprise:"))
    assert by_status == ["delivered", "invalid"]  # an invalid URL is given up, not retried for ever
    assert "nowhere" not in json.dumps(state)  # channel names are digests: URLs may carry credentials


def test_without_channels_a_row_is_settled(container: Container, clock: Clock, athlete: int) -> None:
    outbox_id = write_row(container)
    assert notifier(container, None, clock).deliver(outbox_id).outcome == "delivered"


def test_the_sweeper_picks_lost_publishes_and_due_retries_only(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    fresh = write_row(container, "k:fresh")
    lost = write_row(container, "k:lost")
    retry_due = write_row(container, "k:due")
    retry_later = write_row(container, "k:later")
    done = write_row(container, "k:done")
    old = datetime.now(UTC) - timedelta(minutes=10)
    with UnitOfWork(container.sessions) as uow:
        for outbox_id, changes in (
            (lost, {"created_at": old}),
            (retry_due, {"created_at": old, "attempts": 1, "next_attempt_at": old}),
            (retry_later, {"created_at": old, "attempts": 1, "next_attempt_at": old + timedelta(hours=1)}),
            (done, {"created_at": old, "status": "delivered"}),
        ):
            stored = uow.session.get(NotificationOutbox, outbox_id)
            assert stored is not None
            for name, value in changes.items():
                setattr(stored, name, value)
        uow.commit()
    service = notifier(container, receiver, clock)
    assert service.due(stale_after_s=60) == [lost, retry_due]
    assert service.fresh() == [fresh, lost]


def test_outbox_rows_are_announced_after_commit_only(container: Container, athlete: int) -> None:
    calls: list[tuple[list[int], bool]] = []
    publish.install(container.sessions, lambda ids, kick: calls.append((list(ids), kick)))

    with UnitOfWork(container.sessions) as uow:
        enqueue(uow.session, "k:rolled-back", {})
    assert calls == []  # rolled back: nothing announced

    with UnitOfWork(container.sessions) as uow:
        uow.session.add(
            NotificationOutbox(
                athlete_id=ATHLETE_ID,
                event_type="workout.missed",
                payload={},
                idempotency_key="k:orm",
                created_at=datetime.now(UTC),
            )
        )
        enqueue(uow.session, "k:core", {})
        assert calls == []  # not before the commit
        uow.commit()
    # Both by id, no kick: the Core insert's id came back through RETURNING.
    assert calls == [([row(container, "k:orm").id, row(container, "k:core").id], False)]

    with UnitOfWork(container.sessions) as uow:
        # A set-based insert does not return ids: a kick makes a worker deliver every fresh row.
        uow.session.execute(
            insert(NotificationOutbox).from_select(
                [
                    "athlete_id",
                    "event_type",
                    "payload",
                    "idempotency_key",
                    "status",
                    "attempts",
                    "created_at",
                ],
                select(
                    literal(ATHLETE_ID),
                    literal("week.reviewed"),
                    literal_column("'{}'::jsonb"),
                    literal("k:set-based"),
                    literal("pending"),
                    literal(0),
                    func.now(),
                ),
            )
        )
        uow.commit()
    assert calls[-1] == ([], True)


def test_enqueue_notification_says_whether_it_wrote(container: Container, athlete: int) -> None:
    """Once per idempotency key: True for the first write, False for the same key again (on PostgreSQL too)."""
    with UnitOfWork(container.sessions) as uow:
        written = [enqueue(uow.session, "k:1", {}, athlete_id=athlete) for _ in range(2)]
        uow.commit()
    assert written == [True, False]


def apprise_states(container: Container) -> list[dict[str, Any]]:
    state = row(container, "plan.updated:1:v2").payload["_delivery"]
    return [value for key, value in state.items() if key.startswith("apprise:")]


def settled_without_sending(container: Container, clock: Clock) -> dict[str, Any]:
    """A row delivered by a notifier that records every apprise send: it sent nothing. The one channel's state."""
    sent: list[str] = []
    service = Notifier(
        container.sessions,
        app=None,
        policy=DeliveryPolicy(),
        cipher=container.cipher,
        notify=lambda target, title, body: sent.append(target) or Sent(True),
        clock=clock,
    )
    assert service.deliver(write_row(container)).outcome == "delivered"
    assert sent == []
    [state] = apprise_states(container)
    return state


def test_without_the_setting_the_worker_never_posts_to_a_loopback_target(
    container: Container, receiver: Receiver, clock: Clock, athlete: int
) -> None:
    set_channels(container, f"json://127.0.0.1:{receiver.port}/internal")
    outbox_id = write_row(container)
    service = notifier(container, None, clock, allow_private_targets=False)
    assert service.deliver(outbox_id).outcome == "delivered"  # settled: the channel is given up, not retried
    assert receiver.others() == []
    [state] = apprise_states(container)
    assert state["status"] == "invalid"
    assert "loopback" in state["error"]


def test_a_name_re_pointed_at_an_internal_address_after_it_was_accepted_is_refused_at_delivery(
    container: Container, receiver: Receiver, clock: Clock, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from notify import channels

    answers = iter(["93.184.216.34", "127.0.0.1"])  # public when the athlete set it; loopback at delivery

    def rebinding_dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "hooks.rebind.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port or 0))]

    monkeypatch.setattr(channels.socket, "getaddrinfo", rebinding_dns)
    url = f"json://hooks.rebind.example:{receiver.port}/internal"
    channels.check_channel_url(url, allow_private=False)  # what the API checked when the URL was set
    set_channels(container, url)
    state = settled_without_sending(container, clock)
    assert (state["status"], state["error"]) == (
        "invalid",
        "refused: target is a loopback, private, link-local, multicast or reserved address",
    )


def test_a_channel_no_configured_key_opens_is_given_up_without_sending(
    container: Container, clock: Clock, athlete: int
) -> None:
    from cryptography.fernet import Fernet

    from sync.crypto import TokenCipher

    foreign = TokenCipher(Fernet.generate_key().decode()).encrypt("json://93.184.216.34/hook")
    update_row(container, Athlete, ATHLETE_ID, notification_urls=[foreign])
    state = settled_without_sending(container, clock)
    assert (state["status"], state["error"]) == ("invalid", "cannot be decrypted")


def test_apprise_never_follows_a_redirect_to_another_address() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from notify.channels import apprise_send

    hits: list[str] = []

    class Internal(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    internal = ThreadingHTTPServer(("127.0.0.1", 0), Internal)

    class Redirector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)  # 307 keeps the method and the body
            self.send_header("Location", f"http://127.0.0.1:{internal.server_port}/admin")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    redirector = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    for server in (internal, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sent = apprise_send(f"json://127.0.0.1:{redirector.server_port}/hook?redirect=yes", "t", "b")
    finally:
        for server in (internal, redirector):
            server.shutdown()
            server.server_close()
    assert not sent.ok
    assert hits == []
