"""notification channels: URLs encrypted at rest

`athletes.notification_urls` keeps its shape (a JSON list of strings) but each string is now a Fernet
ciphertext made with RUNSMART_TOKEN_KEY, as OAuth tokens are: apprise URLs often embed a password or a token.
Upgrade encrypts the plaintext URLs already stored; downgrade decrypts them. A database without stored URLs
(every fresh one) needs no key for either.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_athletes = sa.table("athletes", sa.column("id", sa.BigInteger), sa.column("notification_urls", _JSON))


def _fernet() -> Any:
    """MultiFernet over the configured keys: the first encrypts, all decrypt (same rule as sync/crypto.py)."""
    from cryptography.fernet import Fernet, MultiFernet

    from runsmart.settings import get_settings

    keys = [key.strip() for key in get_settings().effective_token_key().split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys])


def _is_ciphertext(fernet: Any, value: str) -> bool:
    from cryptography.fernet import InvalidToken

    try:
        fernet.decrypt(value.encode())
    except (InvalidToken, ValueError):
        return False
    return True


def _rewrite(convert: Callable[[Any, str], str]) -> None:
    connection = op.get_bind()
    rows = [
        (athlete_id, urls)
        for athlete_id, urls in connection.execute(sa.select(_athletes.c.id, _athletes.c.notification_urls))
        if urls
    ]
    if not rows:
        return
    fernet = _fernet()
    for athlete_id, urls in rows:
        connection.execute(
            _athletes.update()
            .where(_athletes.c.id == athlete_id)
            .values(notification_urls=[convert(fernet, url) for url in urls])
        )


def _encrypt(fernet: Any, url: str) -> str:
    # Idempotent: a value that is already a ciphertext under our keys is left alone.
    return url if _is_ciphertext(fernet, url) else fernet.encrypt(url.encode()).decode()


def _decrypt(fernet: Any, stored: str) -> str:
    return fernet.decrypt(stored.encode()).decode()


def upgrade() -> None:
    _rewrite(_encrypt)


def downgrade() -> None:
    _rewrite(_decrypt)
