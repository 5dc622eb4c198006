"""The app-wide Strava request budget, shared by every worker process on every host (Redis).

Strava's limits are per application (docs/strava.md, "Rate limits"): a 15-minute window resetting at :00, :15,
:30 and :45, and a daily window resetting at 00:00 UTC, for the overall and the read ("non-upload") buckets. Every
GET we make draws on both. A call is *counted before it is made* (`acquire`), so concurrent workers cannot overshoot
together, and the counters are *corrected from the usage headers* of every response (`observe`), which also
count requests made by anything else using the same application.

Priorities keep a reserve: webhook-driven syncs may use the whole window, reconciliation stops short of the last
`reserve` share, backfill short of twice that. A denied caller gets the seconds until its window resets and
retries with a countdown; nothing here sleeps.

Usage headers are attributed to the window Strava counted them in (docs/strava.md, "Rate limits"): the
response's `Date` header is Strava's clock, so a response counted at 23:59:59 and read by us at 00:00:00 feeds
the old day, not the new one. Without a `Date` header, usage read in the first seconds of a window is not
trusted for that window (it may be the old window's). Counters only rise within a window.

The budget also carries the app-wide pause for an application fault (Strava refused our client credentials,
docs/strava.md "Application credentials"): while it holds, every `acquire` raises
`StravaAppCredentialsRejected` with the time left, so work parks like a rate-limit wait; when it lapses, the next
call is the probe, and a success clears it at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import IntEnum
from typing import Protocol

import redis

from sync.errors import StravaAppCredentialsRejected, StravaRateLimited

log = logging.getLogger(__name__)

QUARTER_S = 900
DAY_S = 86_400
# Strava's current defaults (docs/strava.md, "Rate limits"); the response headers replace them as soon as one
# call is made.
DEFAULT_LIMITS = {"overall": (200, 2000), "read": (100, 1000)}
# Without Strava's `Date` header, usage read this soon after a reset may still be the old window's.
UNDATED_GRACE_S = 10.0
# How long Strava work pauses after the application's credentials are refused, before the next call probes.
APP_FAULT_COOL_OFF_S = 300.0


class Priority(IntEnum):
    WEBHOOK = 0
    RECONCILE = 1
    BACKFILL = 2


class Budget(Protocol):
    def acquire(self, priority: Priority, *, read: bool = True) -> None: ...
    def observe(self, headers: Mapping[str, str], method: str) -> None: ...
    def usage(self) -> dict[str, dict[str, int]]: ...
    def pause_for_app_fault(self, reason: str, seconds: float = APP_FAULT_COOL_OFF_S) -> None: ...
    def app_fault(self) -> tuple[str, float] | None: ...
    def clear_app_fault(self) -> bool: ...


@dataclass(frozen=True)
class Window:
    quarter: int  # index of the 15-minute window since the epoch
    day: int  # index of the UTC day since the epoch
    seconds_to_quarter: float
    seconds_to_day: float

    @classmethod
    def at(cls, now: float) -> Window:
        return cls(
            quarter=int(now // QUARTER_S),
            day=int(now // DAY_S),
            seconds_to_quarter=QUARTER_S - (now % QUARTER_S),
            seconds_to_day=DAY_S - (now % DAY_S),
        )


def response_time(headers: Mapping[str, str]) -> float | None:
    """Strava's own clock for a response (its `Date` header), or None when absent or unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "date"), None)
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Attribution:
    """Which quarter and which day a response's usage belongs to; None = not trusted for any window."""

    quarter: int | None
    day: int | None


def attribute(headers: Mapping[str, str], now: float) -> Attribution:
    """The windows Strava counted this response's usage in (see the module docstring)."""
    stamped = response_time(headers)
    if stamped is not None:
        window = Window.at(stamped)
        return Attribution(window.quarter, window.day)
    window = Window.at(now)
    into_quarter, into_day = now % QUARTER_S, now % DAY_S
    return Attribution(
        None if into_quarter < UNDATED_GRACE_S else window.quarter,
        None if into_day < UNDATED_GRACE_S else window.day,
    )


def _parse_pair(value: str | None) -> tuple[int, int] | None:
    try:
        short, daily = (int(v.strip()) for v in (value or "").split(","))
    except ValueError:
        return None
    return short, daily


# KEYS: [quarter counter, day counter] per bucket (overall, then read), limits hash, app-fault pause flag.
# ARGV: cap fraction, quarter ttl, day ttl, default limits (overall short, overall daily, read short, read daily),
#       number of buckets to charge (1 = overall only, 2 = overall + read).
_ACQUIRE = """
local paused = redis.call('PTTL', KEYS[6])
if paused > 0 then return 'paused:' .. paused end
local frac = tonumber(ARGV[1])
local n = tonumber(ARGV[8])
local names = {'overall', 'read'}
for i = 1, n do
  local lim_q = tonumber(redis.call('HGET', KEYS[5], names[i] .. ':q') or ARGV[2 + 2 * i])
  local lim_d = tonumber(redis.call('HGET', KEYS[5], names[i] .. ':d') or ARGV[3 + 2 * i])
  local used_q = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local used_d = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if used_d >= math.floor(lim_d * frac) then return 'day' end
  if used_q >= math.floor(lim_q * frac) then return 'quarter' end
end
for i = 1, n do
  redis.call('INCR', KEYS[2 * i - 1]); redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[2])
  redis.call('INCR', KEYS[2 * i]); redis.call('EXPIRE', KEYS[2 * i], ARGV[3])
end
return 'ok'
"""

# KEYS: quarter counter, day counter, limits hash. ARGV: usage q, usage d, limit q, limit d, bucket, ttls,
# then whether each counter's window is known (1) or the usage is not trusted for any window (0).
_OBSERVE = """
for i = 1, 2 do
  local seen = tonumber(ARGV[i])
  if ARGV[7 + i] == '0' then seen = -1 end
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
  if seen > cur then redis.call('SET', KEYS[i], seen, 'EX', ARGV[5 + i]) end
end
redis.call('HSET', KEYS[3], ARGV[5] .. ':q', ARGV[3], ARGV[5] .. ':d', ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[7])
return 'ok'
"""


class RedisBudget:
    def __init__(
        self,
        client: redis.Redis,
        *,
        reserve: float = 0.1,
        prefix: str = "runsmart:strava:budget",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= reserve < 0.5:
            raise ValueError("reserve must be a share in [0, 0.5)")
        self._redis = client
        self._reserve = reserve
        self._prefix = prefix
        self._clock = clock
        self._acquire = client.register_script(_ACQUIRE)
        self._observe = client.register_script(_OBSERVE)

    def _keys(self, bucket: str, window: Window) -> list[str]:
        return [f"{self._prefix}:{bucket}:q:{window.quarter}", f"{self._prefix}:{bucket}:d:{window.day}"]

    def cap_fraction(self, priority: Priority) -> float:
        return 1.0 - self._reserve * int(priority)

    def _counter_keys(self, bucket: str, quarter: int | None, day: int | None) -> list[str]:
        # An untrusted window gets a throwaway key the script never writes (its flag says so).
        return [
            f"{self._prefix}:{bucket}:q:{quarter if quarter is not None else 'untrusted'}",
            f"{self._prefix}:{bucket}:d:{day if day is not None else 'untrusted'}",
        ]

    @property
    def _pause_key(self) -> str:
        return f"{self._prefix}:app_fault"

    def pause_for_app_fault(self, reason: str, seconds: float = APP_FAULT_COOL_OFF_S) -> None:
        self._redis.set(self._pause_key, reason, px=max(1, int(seconds * 1000)))

    def app_fault(self) -> tuple[str, float] | None:
        """(reason, seconds left) while Strava work is paused for an application fault."""
        pipe = self._redis.pipeline()
        pipe.get(self._pause_key)
        pipe.pttl(self._pause_key)
        reason, left_ms = pipe.execute()
        if reason is None or left_ms is None or left_ms <= 0:
            return None
        return (reason.decode() if isinstance(reason, bytes) else str(reason)), left_ms / 1000

    def clear_app_fault(self) -> bool:
        return bool(self._redis.delete(self._pause_key))

    def acquire(self, priority: Priority, *, read: bool = True) -> None:
        window = Window.at(self._clock())
        keys = [
            *self._keys("overall", window),
            *self._keys("read", window),
            f"{self._prefix}:limits",
            self._pause_key,
        ]
        defaults = [*DEFAULT_LIMITS["overall"], *DEFAULT_LIMITS["read"]]
        verdict = self._acquire(
            keys=keys,
            args=[
                self.cap_fraction(priority),
                QUARTER_S + 60,
                DAY_S + 300,
                *defaults,
                2 if read else 1,
            ],
        )
        verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
        if verdict == "ok":
            return
        if verdict.startswith("paused:"):
            raise app_fault_error(self.app_fault(), float(verdict.partition(":")[2]) / 1000)
        wait = window.seconds_to_day if verdict == "day" else window.seconds_to_quarter
        raise StravaRateLimited(
            f"Strava {verdict} budget for {priority.name.lower()} work is spent", retry_after_s=wait + 1
        )

    def observe(self, headers: Mapping[str, str], method: str) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        seen_in = attribute(headers, self._clock())
        for bucket, usage_header, limit_header in (
            ("overall", "x-ratelimit-usage", "x-ratelimit-limit"),
            ("read", "x-readratelimit-usage", "x-readratelimit-limit"),
        ):
            usage, limit = _parse_pair(lowered.get(usage_header)), _parse_pair(lowered.get(limit_header))
            if usage is None or limit is None:
                continue
            self._observe(
                keys=[*self._counter_keys(bucket, seen_in.quarter, seen_in.day), f"{self._prefix}:limits"],
                args=[
                    usage[0],
                    usage[1],
                    limit[0],
                    limit[1],
                    bucket,
                    QUARTER_S + 60,
                    DAY_S + 300,
                    int(seen_in.quarter is not None),
                    int(seen_in.day is not None),
                ],
            )

    def usage(self) -> dict[str, dict[str, int]]:
        """Current counters and limits, for progress bars, ETAs and operators."""
        window = Window.at(self._clock())
        limits = {
            (k.decode() if isinstance(k, bytes) else k): int(v)
            for k, v in self._redis.hgetall(f"{self._prefix}:limits").items()
        }
        result: dict[str, dict[str, int]] = {}
        for bucket, (dq, dd) in DEFAULT_LIMITS.items():
            q_key, d_key = self._keys(bucket, window)
            result[bucket] = {
                "quarter_used": int(self._redis.get(q_key) or 0),
                "quarter_limit": limits.get(f"{bucket}:q", dq),
                "day_used": int(self._redis.get(d_key) or 0),
                "day_limit": limits.get(f"{bucket}:d", dd),
                "seconds_to_quarter": int(window.seconds_to_quarter),
            }
        return result


class LocalBudget:
    """Single-process budget for the embedded demo (no Redis): the same rules, counters in memory."""

    def __init__(self, *, reserve: float = 0.1, clock: Callable[[], float] = time.time) -> None:
        self._reserve = reserve
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._limits: dict[str, int] = {}
        self._fault: tuple[str, float] | None = None  # (reason, paused until)

    def pause_for_app_fault(self, reason: str, seconds: float = APP_FAULT_COOL_OFF_S) -> None:
        self._fault = (reason, self._clock() + seconds)

    def app_fault(self) -> tuple[str, float] | None:
        if self._fault is None or self._fault[1] <= self._clock():
            return None
        return self._fault[0], self._fault[1] - self._clock()

    def clear_app_fault(self) -> bool:
        held, self._fault = self._fault is not None, None
        return held

    def acquire(self, priority: Priority, *, read: bool = True) -> None:
        fault = self.app_fault()
        if fault is not None:
            raise app_fault_error(fault, fault[1])
        window = Window.at(self._clock())
        frac = 1.0 - self._reserve * int(priority)
        buckets = ["overall", "read"] if read else ["overall"]
        for bucket in buckets:
            for scope, index, default, wait in (
                ("d", window.day, DEFAULT_LIMITS[bucket][1], window.seconds_to_day),
                ("q", window.quarter, DEFAULT_LIMITS[bucket][0], window.seconds_to_quarter),
            ):
                limit = self._limits.get(f"{bucket}:{scope}", default)
                if self._counts.get(f"{bucket}:{scope}:{index}", 0) >= int(limit * frac):
                    raise StravaRateLimited(f"Strava {bucket} budget spent", retry_after_s=wait + 1)
        for bucket in buckets:
            for scope, index in (("d", window.day), ("q", window.quarter)):
                key = f"{bucket}:{scope}:{index}"
                self._counts[key] = self._counts.get(key, 0) + 1

    def observe(self, headers: Mapping[str, str], method: str) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        seen_in = attribute(headers, self._clock())
        for bucket, prefix in (("overall", "x-ratelimit"), ("read", "x-readratelimit")):
            usage, limit = (
                _parse_pair(lowered.get(f"{prefix}-usage")),
                _parse_pair(lowered.get(f"{prefix}-limit")),
            )
            if usage is None or limit is None:
                continue
            self._limits[f"{bucket}:q"], self._limits[f"{bucket}:d"] = limit
            for scope, index, seen in (("q", seen_in.quarter, usage[0]), ("d", seen_in.day, usage[1])):
                if index is None:
                    continue
                key = f"{bucket}:{scope}:{index}"
                self._counts[key] = max(self._counts.get(key, 0), seen)

    def usage(self) -> dict[str, dict[str, int]]:
        window = Window.at(self._clock())
        return {
            bucket: {
                "quarter_used": self._counts.get(f"{bucket}:q:{window.quarter}", 0),
                "quarter_limit": self._limits.get(f"{bucket}:q", dq),
                "day_used": self._counts.get(f"{bucket}:d:{window.day}", 0),
                "day_limit": self._limits.get(f"{bucket}:d", dd),
                "seconds_to_quarter": int(window.seconds_to_quarter),
            }
            for bucket, (dq, dd) in DEFAULT_LIMITS.items()
        }


def app_fault_error(fault: tuple[str, float] | None, wait_s: float) -> StravaAppCredentialsRejected:
    reason = fault[0] if fault is not None else "Strava refused the application's credentials"
    return StravaAppCredentialsRejected(f"Strava work is paused: {reason}", retry_after_s=max(wait_s, 1.0))
