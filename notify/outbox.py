"""The outbox's dead letters under the names `runsmart notifications dead|replay` imports.

The queries are `store.outbox_repository`'s (ARCHITECTURE.md: all SQL lives in store/); new callers import
them from there.
"""

from __future__ import annotations

from store.outbox_repository import dead, replay_dead

__all__ = ["dead", "replay_dead"]
