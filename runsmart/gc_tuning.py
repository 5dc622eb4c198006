"""Garbage-collector settings for the long-lived processes (the API and the workers).

Such a process holds ~100 MB of start-up objects (modules, pydantic schemas, SQLAlchemy mappings, compiled
statements) that never die. CPython's collector walks every one of them again at each full collection, which
under load is a pause of tens of milliseconds in the middle of requests: it was most of the webhook intake's
p99 (bench/intake.py, README "Performance"). `gc.freeze()` after start-up moves them to a permanent generation
that is never scanned (https://docs.python.org/3/library/gc.html#gc.freeze); cycles made later are still
collected as usual.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
