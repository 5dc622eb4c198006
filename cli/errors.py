"""Errors a `runsmart` command answers with one line on stderr and exit status 1 (cli/main.py)."""

from __future__ import annotations

# PostgreSQL's "undefined table" and "undefined column": the code is newer than the migrated schema.
SCHEMA_BEHIND = frozenset({"42P01", "42703"})


class CommandError(Exception):
    """A mistake the user can fix (an unknown athlete, a missing setting); its text is the whole answer."""


def user_error_message(error: BaseException) -> str | None:
    """One line for an error the user can fix, or None for a bug (which keeps its traceback)."""
    from alembic.util.exc import CommandError as AlembicCommandError
    from pydantic import ValidationError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

    from runsmart.settings import Settings, configuration_error
    from sync.crypto import TokenCipherError
    from sync.errors import StravaError

    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, ValidationError) and error.title == Settings.__name__:
        return configuration_error(error)
    if isinstance(error, OperationalError):
        # The driver's text names host and port, never the password; its first line is enough.
        reason = str(error.orig or error).strip().splitlines()[0]
        return f"cannot reach the database (RUNSMART_DATABASE_URL): {reason}"
    if isinstance(error, ProgrammingError) and getattr(error.orig, "sqlstate", None) in SCHEMA_BEHIND:
        return "the database schema is older than this version: run `runsmart db upgrade`"
    if isinstance(error, ArgumentError):
        return "RUNSMART_DATABASE_URL is not a valid SQLAlchemy URL"
    if isinstance(error, RedisConnectionError):
        return "cannot reach Redis (RUNSMART_REDIS_URL / RUNSMART_BROKER_URL)"
    if isinstance(error, AlembicCommandError):  # e.g. `runsmart db upgrade` to a revision that does not exist
        return f"migrations: {str(error).strip().splitlines()[0]}"
    if isinstance(error, TokenCipherError | StravaError):
        return str(error)  # both are written to be shown: they never carry a token or a key
    return None
