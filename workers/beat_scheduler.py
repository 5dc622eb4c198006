"""RedBeat's scheduler, made to keep beat running through a lost, hung or restarted Redis.

Plain RedBeat lets every Redis error out of `tick`, and celery beat exits on it: a Redis that hangs (socket
timeout), restarts (the lock's key is gone: `LockNotOwnedError` when it is extended) or was down when beat
started (no lock at all) ends the only process that sends the sweeper's ticks. Here a failed tick is logged and
retried a few seconds later; a lock that was lost is given up and acquired again without blocking (another
beat may have taken over meanwhile: then this one waits, sending nothing), and the schedule is installed again
with it, since a Redis that lost its data lost the schedule too.
"""

from __future__ import annotations

import logging
from typing import Any

from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, RedBeatScheduler, get_redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_S = 5.0  # how soon a beat without Redis or without the lock tries again


class ResilientRedBeatScheduler(RedBeatScheduler):  # type: ignore[misc]  # redbeat is untyped
    lock: Any = None  # redis-py's Lock while this beat holds it (RedBeat leaves the attribute untyped)
    _schedule_installed = False

    def setup_schedule(self) -> None:
        try:
            super().setup_schedule()
        except RedisError as error:  # Redis down at start: installed at the first tick that reaches it
            log.warning("beat.setup_deferred", extra={"error": type(error).__name__})
        else:
            self._schedule_installed = True

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            if self.lock_key and self.lock is None and not self._reacquire_lock():
                return min(RECOVERY_INTERVAL_S, self.max_interval)
            if not self._schedule_installed:
                super().setup_schedule()
                self._schedule_installed = True
            interval: float = super().tick(*args, **kwargs)
        except LockError as error:  # includes LockNotOwnedError: the key expired or Redis lost it
            log.warning("beat.lock_lost", extra={"error": type(error).__name__})
            self.lock = None
            return min(RECOVERY_INTERVAL_S, self.max_interval)
        except (RedisError, OSError) as error:  # hung (timeout) or gone: keep the lock object and retry
            log.warning("beat.redis_unavailable", extra={"error": type(error).__name__})
            return min(RECOVERY_INTERVAL_S, self.max_interval)
        return interval

    def _reacquire_lock(self) -> bool:
        """Take the lock if it is free (never block: beat's loop must go on); install the schedule with it."""
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)  # as RedBeat's own acquisition does
        if not lock.acquire(blocking=False):
            return False
        log.info("beat.lock_acquired")
        self.lock = lock
        self._schedule_installed = False  # the Redis that lost the lock may have lost the schedule too
        return True
