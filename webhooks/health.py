"""Liveness and readiness, each answered within a bound however a dependency behaves (docs/api.md "Health").

A dependency that hangs (a SIGSTOPped Redis, a stalled PostgreSQL) must not hang the answer: each check runs
in a thread of its own and is given `timeout_s`; past it, the check counts as failed. At most one run of a check
is under way at a time, so a hung dependency holds one thread, not one per poll.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from enum import StrEnum

from fastapi.responses import JSONResponse

CHECK_TIMEOUT_S = 0.8  # the checks run side by side: readiness answers well within a second


class Readiness(StrEnum):
    READY = "ready"  # stores events and hands them to the workers at once
    # Stores events, but the broker does not answer: they wait for it (the sweeper re-drives them).
    DEGRADED = "degraded"
    NOT_READY = "not_ready"  # cannot store events: Strava's pushes are answered 503


class Probe:
    def __init__(self, name: str, check: Callable[[], bool], timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self._name = name
        self._check = check
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._running: Future[bool] | None = None

    async def passes(self) -> bool:
        """True if the check answered yes within the timeout; a failure, an error or no answer is False."""
        future = self._current_run()
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self._timeout_s)
        except Exception:  # any failure of the check, or no answer in time, is "not passing"
            return False

    def _current_run(self) -> Future[bool]:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                # A daemon thread, not an executor's: a check stuck on a dead socket never delays shutdown.
                threading.Thread(
                    target=self._run, args=(self._running,), name=f"probe-{self._name}", daemon=True
                ).start()
            return self._running

    def _run(self, future: Future[bool]) -> None:
        try:
            future.set_result(bool(self._check()))
        except Exception as error:  # reported to the waiters as a failed check
            future.set_exception(error)


async def readiness(database: Probe, broker: Probe) -> JSONResponse:
    database_ok, broker_ok = await asyncio.gather(database.passes(), broker.passes())
    state = _readiness(database_ok=database_ok, broker_ok=broker_ok)
    return JSONResponse(
        {"status": state, "ok": state != Readiness.NOT_READY, "database": database_ok, "broker": broker_ok},
        status_code=503 if state == Readiness.NOT_READY else 200,
    )


def _readiness(*, database_ok: bool, broker_ok: bool) -> Readiness:
    if not database_ok:
        return Readiness.NOT_READY
    return Readiness.READY if broker_ok else Readiness.DEGRADED
