"""Group commit for the webhook intake: concurrent requests share one INSERT, one COMMIT and one publish.

Each request still gets its answer only after its event is committed (durable) and published (or left for the
sweeper when the broker is down), so nothing acknowledged can be lost; but under load, one transaction carries
every event that arrived while the previous one was being written. This is what lets one API process take far
more events per second than a transaction per request (see bench/intake.py and README "Performance").
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from fastapi.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

StoreBatch = Callable[[list[dict[str, Any]]], Sequence[int | None]]
PublishBatch = Callable[[list[int]], bool]


class GroupCommitter:
    def __init__(self, store: StoreBatch, publish: PublishBatch, *, max_batch: int = 500) -> None:
        self._store = store
        self._publish = publish
        self._max_batch = max_batch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: deque[tuple[dict[str, Any], asyncio.Future[tuple[int | None, bool]]]] = deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, values: dict[str, Any]) -> tuple[int | None, bool]:
        """Store one event; returns (its new id or None for a duplicate, whether it was published)."""
        wake = self._ensure_running()
        future: asyncio.Future[tuple[int | None, bool]] = asyncio.get_running_loop().create_future()
        self._queue.append((values, future))
        wake.set()
        return await future

    def _ensure_running(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop or self._wake is None:
            # One writer per event loop (uvicorn runs one loop per process).
            self._loop, self._wake = loop, asyncio.Event()
            self._queue = deque()
            self._task = loop.create_task(self._run(self._wake))
        return self._wake

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            while self._queue:
                await asyncio.sleep(0)  # let requests that are already parsed join this batch
                batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
                await self._flush(batch)

    async def _flush(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[tuple[int | None, bool]]]]
    ) -> None:
        try:
            ids = await run_in_threadpool(self._store, [values for values, _ in batch])
        except Exception as error:  # every waiting request learns it, as a 503 from the handler
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        new = [event_id for event_id in ids if event_id is not None]
        published = True
        if new:
            try:
                published = await run_in_threadpool(self._publish, new)
            except Exception:  # the rows are committed: the sweeper re-drives them
                log.warning("inbox.publish_failed", extra={"count": len(new)})
                published = False
        for (_, future), event_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result((event_id, published))
