"""Migration 0006 encrypts the notification URLs already stored in plaintext, and its downgrade decrypts them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from runsmart.settings import get_settings
from store.migrate import downgrade, upgrade
from sync.crypto import TokenCipher

pytestmark = pytest.mark.integration

URLS = ["ntfys://user:s3cr3t@93.184.216.34/topic", "mailtos://me:pw@93.184.216.34?to=a@b.example"]


def urls_of(url: str, athlete_id: int) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT notification_urls FROM athletes WHERE id = :id"), {"id": athlete_id}
        ).scalar_one()
    engine.dispose()
    return list(value)


def test_plaintext_urls_are_encrypted_on_upgrade_and_restored_on_downgrade(empty_database: str) -> None:
    upgrade(empty_database, revision="0005")
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        for athlete_id, urls in ((1, URLS), (2, [])):
            conn.execute(
                text(
                    "INSERT INTO athletes (id, firstname, lastname, created_at, notification_urls) "
                    "VALUES (:id, '', '', now(), CAST(:urls AS jsonb))"
                ),
                {"id": athlete_id, "urls": json.dumps(urls)},
            )
    engine.dispose()

    upgrade(empty_database, revision="0006")
    encrypted = urls_of(empty_database, 1)
    assert not any("s3cr3t" in value or "://" in value for value in encrypted)
    cipher = TokenCipher(get_settings().effective_token_key())  # the key the migration used
    assert [cipher.decrypt(value) for value in encrypted] == URLS
    assert urls_of(empty_database, 2) == []

    downgrade(empty_database, revision="0005")
    assert urls_of(empty_database, 1) == URLS
