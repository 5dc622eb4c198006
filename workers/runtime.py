"""Each process's container: the composition root's services, with new outbox rows published to the workers.

The API, the worker and the CLI all take their services from here, so a row written to the outbox anywhere is
announced right after its commit (notify/publish.py), and a lost announcement is re-driven by `notify.redrive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from composition.root import Container, build
from notify import publish as outbox_publish
from runsmart.settings import get_settings
from workers.enqueue import enqueue_outbox


def _publish(ids: Sequence[int], kick: bool) -> None:
    enqueue_outbox(ids, kick=kick)


@lru_cache(maxsize=1)
def container() -> Container:
    built = build(get_settings())
    outbox_publish.install(built.sessions, _publish)
    return built
