"""`runsmart notifications dead|replay` on the real PostgreSQL: dead letters listed and replayed without SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from cli.main import app
from composition.root import Container
from store import outbox_repository as outbox
from store.plan_models import NotificationOutbox
from tests.integration.conftest import ATHLETE_ID, connect_athlete, update_row
from tests.integration.helpers_notify import outbox_row
from workers import runtime

pytestmark = pytest.mark.integration


def state(container: Container, outbox_id: int) -> tuple[str, int]:
    with container.sessions() as session:
        row = session.get(NotificationOutbox, outbox_id)
        assert row is not None
        return row.status, row.attempts


def test_dead_notifications_are_listed_and_replayed(
    container: Container, enqueued_outbox: list[list[int]]
) -> None:
    connect_athlete(container)
    first = outbox_row(container, "k:1", "dead", "app: HTTP 503")
    second = outbox_row(container, "k:2", "dead", "app: timed out")
    delivered = outbox_row(container, "k:3", "delivered")
    runner = CliRunner()

    listed = runner.invoke(app, ["notifications", "dead"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert "HTTP 503" in listed.output
    assert "timed out" in listed.output
    assert f"│ {delivered} " not in listed.output

    one = runner.invoke(app, ["notifications", "replay", str(first)])
    assert one.exit_code == 0, one.output
    assert f"replayed 1 notification(s): {first}" in one.output
    assert enqueued_outbox == [[first]]
    assert state(container, first) == ("pending", 0)
    assert state(container, second) == ("dead", 8)
    with container.sessions() as session:  # the sweeper would deliver it even if the enqueue were lost
        assert first in outbox.due_ids(session, stale_before=datetime.now(UTC))

    rest = runner.invoke(app, ["notifications", "replay", "--athlete", str(ATHLETE_ID)])
    assert rest.exit_code == 0, rest.output
    assert enqueued_outbox[-1] == [second]
    assert state(container, second) == ("pending", 0)
    assert state(container, delivered) == ("delivered", 1)  # only dead rows are ever touched

    again = runner.invoke(app, ["notifications", "replay"])
    assert "replayed 0 notification(s)" in again.output


def test_reencrypt_moves_every_channel_to_the_first_key(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    from store.models import Athlete
    from sync.crypto import TokenCipher

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    urls = ["ntfys://u:pw@93.184.216.34/a", "json://93.184.216.34/b"]
    connect_athlete(container)
    update_row(
        container, Athlete, ATHLETE_ID, notification_urls=[TokenCipher(old).encrypt(url) for url in urls]
    )
    monkeypatch.setattr(container, "cipher", TokenCipher(f"{new},{old}"))  # the rotation's configuration
    monkeypatch.setattr(runtime, "container", lambda: container)

    result = CliRunner().invoke(app, ["notifications", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "1 athlete(s)" in result.output
    with container.sessions() as session:
        athlete = session.get(Athlete, ATHLETE_ID)
        assert athlete is not None
        assert [TokenCipher(new).decrypt(value) for value in athlete.notification_urls] == urls

    monkeypatch.setattr(container, "cipher", TokenCipher(Fernet.generate_key().decode()))  # a wrong key
    refused = CliRunner().invoke(app, ["notifications", "reencrypt"])
    assert refused.exit_code == 1
    assert refused.stderr.strip().startswith("error: athlete")
