"""Slows down a source address that sends invalid events, without ever slowing Strava's valid pushes.

The subscription id is the only check an unsigned Strava event allows (docs/strava.md, "Webhooks"), and a well-formed
event with the right id is accepted: anyone can try ids. Each invalid event (malformed, or for another
subscription) costs its source address a token from a small bucket; an address whose bucket is empty is
answered 429 before its event is looked at, so while it is penalised its guesses learn nothing. An address that
has sent a valid event for our subscription already knows the id, so it has nothing left to guess: it is never
penalised. That is what keeps Strava's own pushes (a few addresses, only valid events) from ever being slowed.

In-process and bounded: at most `max_addresses` addresses are remembered, the least recently seen forgotten.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass
class _Source:
    tokens: float
    updated: float
    vouched: bool = False  # sent a valid event for our subscription


# Strava pushes from a few addresses: parsing each anew was most of the throttle's cost per event.
@lru_cache(maxsize=4096)
def source_key(host: str | None) -> str:
    """The unit that is throttled: an IPv4 address, or an IPv6 /48. A site is usually given a whole /48 (65,536
    /64 subnets), so counting smaller units would give one attacker endless fresh buckets."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/48", strict=False))
    return str(address)


class InvalidEventThrottle:
    def __init__(
        self,
        *,
        burst: int,
        refill_every_s: float,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = burst
        self._refill_every_s = refill_every_s
        self._max_addresses = max_addresses
        self._clock = clock
        self._sources: OrderedDict[str, _Source] = OrderedDict()
        self._lock = threading.Lock()  # the intake is async, but the app may also be served from threads

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may send again, or None if it is not penalised."""
        with self._lock:
            source = self._sources.get(address)
            if source is None or source.vouched:
                return None
            self._refill(source)
            if source.tokens >= 1:
                return None
            return max(1, math.ceil((1 - source.tokens) * self._refill_every_s))

    def charge(self, address: str) -> None:
        """One invalid event from `address`."""
        with self._lock:
            source = self._source(address)
            self._refill(source)
            source.tokens = max(0.0, source.tokens - 1)

    def vouch(self, address: str) -> None:
        """A valid event for our subscription from `address`."""
        with self._lock:
            self._source(address).vouched = True

    def __len__(self) -> int:
        return len(self._sources)

    def _source(self, address: str) -> _Source:
        source = self._sources.get(address)
        if source is None:
            source = self._sources[address] = _Source(tokens=float(self._burst), updated=self._clock())
            if len(self._sources) > self._max_addresses:
                self._sources.popitem(last=False)
        else:
            self._sources.move_to_end(address)
        return source

    def _refill(self, source: _Source) -> None:
        now = self._clock()
        source.tokens = min(float(self._burst), source.tokens + (now - source.updated) / self._refill_every_s)
        source.updated = now
