"""Group commit for the webhook intake: concurrent requests share one INSERT, one COMMIT and one publish.

Each request still gets its answer only after its event is committed (durable), so nothing acknowledged can be
lost; the batch is published right after the answers go out (a failed publish leaves the rows to the sweeper,
as before). Under load, one transaction carries every event that arrived while the previous one was written. This is what lets one API process take far
more events per second than a transaction per request (see bench/intake.py and README "Performance").
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from fastapi.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

StoreBatch = Callable[[list[dict[str, Any]]], Sequence[int | None]]
PublishBatch = Callable[[list[int]], bool]


Pending = deque[tuple[dict[str, Any], "asyncio.Future[int | None]"]]


class _LoopWriter:
    """The queue and writer task of one event loop (uvicorn runs one loop per process; tests may run many)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, flush: Callable[[list[Any]], Any], max_batch: int
    ) -> None:
        self.queue: Pending = deque()
        self.wake = asyncio.Event()
        self.idle = asyncio.Event()  # nothing queued, nothing being stored or published
        self.idle.set()
        self._flush = flush
        self._max_batch = max_batch
        self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()  # `submit` cleared `idle` with the request it queued
            while self.queue:
                await asyncio.sleep(0)  # let requests that are already parsed join this batch
                batch = [self.queue.popleft() for _ in range(min(self._max_batch, len(self.queue)))]
                await self._flush(batch)
            self.idle.set()


class GroupCommitter:
    def __init__(
        self,
        store: StoreBatch,
        publish: PublishBatch,
        *,
        max_batch: int = 500,
        on_publish_failed: Callable[[int], object] = lambda count: None,
    ) -> None:
        self._store = store
        self._publish = publish
        self._on_publish_failed = on_publish_failed
        self._max_batch = max_batch
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWriter] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, values: dict[str, Any]) -> int | None:
        """Store one event; returns its new id, or None for a duplicate. Returns once it is committed."""
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None or writer.task.done():
            writer = self._writers[loop] = _LoopWriter(loop, self._flush, self._max_batch)
        future: asyncio.Future[int | None] = loop.create_future()
        writer.queue.append((values, future))
        writer.idle.clear()
        writer.wake.set()
        return await future

    async def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until this loop's last batch is published (at shutdown: uvicorn has already answered every
        request, but a publish may still be under way). False if it took too long; the sweeper has the rows."""
        writer = self._writers.get(asyncio.get_running_loop())
        if writer is None:
            return True
        try:
            await asyncio.wait_for(writer.idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def _flush(self, batch: list[tuple[dict[str, Any], asyncio.Future[int | None]]]) -> None:
        try:
            ids = await run_in_threadpool(self._store, [values for values, _ in batch])
        except Exception as error:  # every waiting request learns it, as a 503 from the handler
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        # Committed: answer now. Publishing does not make an event any more durable, so nobody waits for it.
        for (_, future), event_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(event_id)
        new = [event_id for event_id in ids if event_id is not None]
        if not new:
            return
        try:
            published = await run_in_threadpool(self._publish, new)
        except Exception:  # the rows are committed: the sweeper re-drives them
            published = False
        if not published:
            log.warning("inbox.publish_failed", extra={"count": len(new)})
            self._on_publish_failed(len(new))
