"""Group commit for the webhook intake: concurrent requests share one INSERT, one COMMIT and one publish.

Each request still gets its answer only after its event is committed (durable), so nothing acknowledged can be
lost. Under load, one transaction carries every event that arrived while the previous one was written. This is
what lets one API process take far more events per second than a transaction per request (see bench/intake.py
and README "Performance").

Two things may not hold the batch's other requests hostage:
- a row the database refuses: a batch that fails for what may be one row's content is stored again in halves
  (bisection), so every storable event is committed and answered and only the refused row gets the error. A
  failure of the database itself (unreachable, timed out) fails the batch at once: splitting cannot help.
- the broker: publishing runs in a task of its own, after the answers, and the writer never waits for it. A
  committed event is durable; a failed or dropped publish leaves the row to the sweeper (ARCHITECTURE.md
  "Enqueue only after commit").
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

Waiter = tuple[dict[str, Any], "asyncio.Future[int | None]"]
Pending = deque[Waiter]


class _LoopWriter:
    """The queue, writer task and publisher task of one event loop (uvicorn runs one loop per process; tests
    may run many)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        store: Callable[[list[Waiter]], Any],
        publish: Callable[[list[int]], Any],
        max_batch: int,
    ) -> None:
        self.queue: Pending = deque()
        self.wake = asyncio.Event()
        self.stored = asyncio.Event()  # nothing queued, nothing being stored
        self.stored.set()
        self.unpublished: list[int] = []
        self.publish_wake = asyncio.Event()
        self.published = asyncio.Event()  # nothing waiting to be published, nothing being published
        self.published.set()
        self._store = store
        self._publish = publish
        self._max_batch = max_batch
        self.task = loop.create_task(self._run())
        self.publisher = loop.create_task(self._run_publisher())

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()  # `submit` cleared `stored` with the request it queued
            while self.queue:
                await asyncio.sleep(0)  # let requests that are already parsed join this batch
                batch = [self.queue.popleft() for _ in range(min(self._max_batch, len(self.queue)))]
                await self._store(batch)
            self.stored.set()

    async def _run_publisher(self) -> None:
        # One publish at a time: while the broker is slow, the ids committed meanwhile gather here and go out
        # together in the next publish, instead of one blocked thread per batch.
        while True:
            await self.publish_wake.wait()
            self.publish_wake.clear()
            while self.unpublished:
                ids, self.unpublished = (
                    self.unpublished[: self._max_batch],
                    self.unpublished[self._max_batch :],
                )
                await self._publish(ids)
            self.published.set()


class GroupCommitter:
    def __init__(
        self,
        store: StoreBatch,
        publish: PublishBatch,
        *,
        max_batch: int = 500,
        on_publish_failed: Callable[[int], object] = lambda count: None,
        splittable: Callable[[Exception], bool] = lambda error: True,
        max_unpublished: int = 50_000,
    ) -> None:
        """`splittable(error)`: may this failure be caused by one row's content (so storing the batch in parts
        can save the other rows)? False for an unavailable database. `max_unpublished` bounds the ids held
        for a broker that does not answer; beyond it they are left to the sweeper."""
        self._store_batch = store
        self._publish_batch = publish
        self._on_publish_failed = on_publish_failed
        self._splittable = splittable
        self._max_batch = max_batch
        self._max_unpublished = max_unpublished
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWriter] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, values: dict[str, Any]) -> int | None:
        """Store one event; returns its new id, or None for a duplicate. Returns once it is committed."""
        writer = self._writer()
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        writer.queue.append((values, future))
        writer.stored.clear()
        writer.wake.set()
        return await future

    async def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until this loop's last batch is published (at shutdown: uvicorn has already answered every
        request, but a publish may still be under way). False if it took too long; the sweeper has the rows."""
        writer = self._writers.get(asyncio.get_running_loop())
        if writer is None:
            return True
        try:
            async with asyncio.timeout(timeout_s):
                await writer.stored.wait()
                await writer.published.wait()
        except TimeoutError:
            return False
        return True

    def _writer(self) -> _LoopWriter:
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None or writer.task.done() or writer.publisher.done():
            writer = _LoopWriter(loop, self._flush, self._publish, self._max_batch)
            self._writers[loop] = writer
        return writer

    async def _flush(self, batch: list[Waiter]) -> None:
        new = await self._store_and_answer(batch)
        if new:
            self._queue_publish(new)

    async def _store_and_answer(self, batch: list[Waiter]) -> list[int]:
        """Commit the batch and answer its requests; returns the new ids. Bisects a batch the database
        refused for a reason that may lie in one row, so that only that row's request gets the error."""
        try:
            ids = await run_in_threadpool(self._store_batch, [values for values, _ in batch])
        except Exception as error:
            if len(batch) > 1 and self._splittable(error):
                log.warning("inbox.batch_refused_splitting", extra={"size": len(batch)})
                half = len(batch) // 2
                return await self._store_and_answer(batch[:half]) + await self._store_and_answer(batch[half:])
            for _, future in batch:  # every waiting request learns it; the handler turns it into an answer
                if not future.done():
                    future.set_exception(error)
            return []
        # Committed: answer now. Publishing does not make an event any more durable, so nobody waits for it.
        for (_, future), event_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(event_id)
        return [event_id for event_id in ids if event_id is not None]

    def _queue_publish(self, new: list[int]) -> None:
        writer = self._writer()
        room = self._max_unpublished - len(writer.unpublished)
        if room < len(new):  # the broker has not answered for a long while: the sweeper has these rows
            dropped = len(new) - max(room, 0)
            log.warning("inbox.publish_backlog_full", extra={"count": dropped})
            self._on_publish_failed(dropped)
            new = new[: max(room, 0)]
        if new:
            writer.unpublished.extend(new)
            writer.published.clear()
            writer.publish_wake.set()

    async def _publish(self, ids: list[int]) -> None:
        try:
            published = await run_in_threadpool(self._publish_batch, ids)
        except Exception:  # the rows are committed: the sweeper re-drives them
            published = False
        if not published:
            log.warning("inbox.publish_failed", extra={"count": len(ids)})
            self._on_publish_failed(len(ids))
