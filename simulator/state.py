"""The simulator's in-memory world.

Everything Strava would know about one application lives here: athletes, their activities, OAuth codes and
tokens, the push subscription, the app-wide rate-limit windows, fault rules, request statistics and the
webhook delivery log.  All mutation happens under one re-entrant lock, so the HTTP handlers (uvicorn runs
sync endpoints on a thread pool) and the delivery thread can share it safely.

Time comes from an injectable clock (``now``) plus an adjustable offset, so tests can move the world across a
quarter hour or UTC midnight without sleeping.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.utils import formatdate
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.athlete import SimAthlete

from simulator.shapes import JsonObject, StravaActivity

DEFAULT_SCOPE = "read,activity:read_all"
QUARTER = 900
DAY = 86400


@dataclass
class SimConfig:
    """Tunables of the simulated Strava application (all changeable at runtime through ``/_sim/config``)."""

    client_id: int = 1234
    client_secret: str = "simulator-secret"
    access_token_ttl: int = 21600
    code_ttl: int = 600
    overall_limit: tuple[int, int] = (200, 2000)
    read_limit: tuple[int, int] = (100, 1000)
    short_pages: bool = False
    # webhook delivery
    delivery_max_attempts: int = 3
    delivery_retry_delay: float = 3.0
    delivery_timeout: float = 2.0
    delivery_sync: bool = False
    duplicate_deliveries: bool = False
    shuffle_deliveries: bool = False
    verify_timeout: float = 2.0
    # Space webhook retries as Strava does (about a minute, then a bit more: docs/simulator.md) instead of
    # ``delivery_retry_delay``; off by default so tests that exercise retries stay fast.
    strava_retry_spacing: bool = False
    # Fidelity (docs/simulator.md): how many athletes the application may serve (Strava's Standard tier since
    # June 2026: 10; None = no cap), and 404s with an empty body as Strava sometimes sends them.
    athlete_capacity: int | None = None
    empty_not_found_bodies: bool = False
    # the seeded world
    seed: int = 42
    athletes: int = 1
    weeks: int = 12
    season_end: date | None = None
    season_visible: bool = True

    def public(self) -> JsonObject:
        out: JsonObject = {}
        for key, value in self.__dict__.items():
            if isinstance(value, tuple):
                out[key] = list(value)
            elif isinstance(value, date):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out


@dataclass
class AccessToken:
    token: str
    athlete_id: int
    scope: frozenset[str]
    expires_at: int
    revoked: bool = False


@dataclass
class RefreshGrant:
    token: str
    athlete_id: int
    scope: frozenset[str]
    valid: bool = True


@dataclass
class AuthCode:
    code: str
    athlete_id: int
    scope: frozenset[str]
    expires_at: float
    used: bool = False


@dataclass
class Subscription:
    id: int
    callback_url: str
    verify_token: str
    created_at: float
    application_id: int


class FaultKind(StrEnum):
    STATUS = "status"
    DELAY = "delay"
    NOT_FOUND_AFTER_CREATE = "not_found_after_create"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class FaultRule:
    """One chaos rule.

    kind ``status``: the next ``count`` requests whose path starts with ``path_prefix`` (and method matches,
    if given) answer ``status``.  kind ``delay``: those requests are delayed by ``delay`` seconds first and then
    served normally.  kind ``not_found_after_create``: every activity created afterwards answers 404 to its
    first ``count`` GETs (detail and laps).
    """

    id: int
    kind: FaultKind = FaultKind.STATUS
    path_prefix: str = "/api/v3"
    method: str | None = None
    status: int = 500
    count: int = 1
    delay: float = 0.0
    remaining: int = 1
    hits: int = 0

    def public(self) -> JsonObject:
        return dict(self.__dict__) | {"kind": str(self.kind)}


@dataclass
class Window:
    """A usage counter for one bucket: the 15-minute window and the daily window."""

    quarter_index: int = -1
    quarter_usage: int = 0
    day_index: int = -1
    day_usage: int = 0

    def roll(self, now: float) -> None:
        q = int(now // QUARTER)
        d = int(now // DAY)
        if q != self.quarter_index:
            self.quarter_index, self.quarter_usage = q, 0
        if d != self.day_index:
            self.day_index, self.day_usage = d, 0


@dataclass
class Delivery:
    id: int
    event: JsonObject
    callback_url: str | None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: list[JsonObject] = field(default_factory=list)

    def public(self) -> JsonObject:
        return {
            "id": self.id,
            "event": self.event,
            "callback_url": self.callback_url,
            "status": str(self.status),
            "attempts": list(self.attempts),
        }


def new_token() -> str:
    return secrets.token_hex(20)


class World:
    """All simulator state.  Use ``with world.lock:`` around multi-step reads/writes."""

    def __init__(self, config: SimConfig | None = None, now: Callable[[], float] = time.time) -> None:
        self.config = config or SimConfig()
        self._clock = now
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self._reset_data()

    # ------------------------------------------------------------------ lifecycle
    def _reset_data(self) -> None:
        self.athletes: dict[int, SimAthlete] = {}
        self.activities: dict[int, StravaActivity] = {}
        self.hidden_activities: dict[int, StravaActivity] = {}  # seeded runs held back until replayed
        self.season_ids: dict[int, list[int]] = {}  # athlete -> seeded activity ids (chronological)
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.current_refresh: dict[int, str] = {}  # athlete -> the one live refresh token
        self.latest_access: dict[int, str] = {}  # athlete -> newest access token
        self.subscription: Subscription | None = None
        self.next_subscription_id = 120475
        self.overall = Window()
        self.read = Window()
        self.faults: list[FaultRule] = []
        self.next_fault_id = 1
        self.not_found_remaining: dict[int, int] = {}  # activity -> 404s still to serve
        self.not_found_after_create = 0
        self.deliveries: list[Delivery] = []
        self.next_delivery_id = 1
        self.next_athlete_id = 10_000_001
        self.next_activity_id = 15_000_000_001
        self.next_lap_id = 40_000_000_001
        self.reset_stats()

    def reset_stats(self) -> None:
        with self.lock:
            self.requests_by_endpoint: Counter[str] = Counter()
            self.status_counts: Counter[str] = Counter()
            self.rate_limited = 0
            self.faults_served = 0
            self.refreshes: Counter[int] = Counter()
            self.exchanges: Counter[int] = Counter()
            self.requests_by_athlete: defaultdict[int, Counter[str]] = defaultdict(Counter)

    def reset(self) -> None:
        """Forget everything (the caller re-seeds if wanted).  Config and clock offset survive."""
        with self.lock:
            self._reset_data()

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        return self._clock() + self.clock_offset

    # ------------------------------------------------------------------ ids
    def allocate_athlete_id(self) -> int:
        with self.lock:
            value = self.next_athlete_id
            self.next_athlete_id += 1
            return value

    def allocate_activity_id(self) -> int:
        with self.lock:
            value = self.next_activity_id
            self.next_activity_id += 1
            return value

    def allocate_lap_id(self) -> int:
        with self.lock:
            value = self.next_lap_id
            self.next_lap_id += 1
            return value

    # ------------------------------------------------------------------ tokens
    def issue_tokens(
        self, athlete_id: int, scope: frozenset[str], expires_in: int | None = None
    ) -> tuple[AccessToken, RefreshGrant]:
        """A fresh grant: new access token and a new refresh token that replaces any previous one."""
        with self.lock:
            ttl = self.config.access_token_ttl if expires_in is None else expires_in
            access = AccessToken(new_token(), athlete_id, scope, int(self.now()) + ttl)
            self.access_tokens[access.token] = access
            self.latest_access[athlete_id] = access.token
            refresh = self._rotate_refresh(athlete_id, scope)
            return access, refresh

    def _rotate_refresh(self, athlete_id: int, scope: frozenset[str]) -> RefreshGrant:
        old = self.current_refresh.get(athlete_id)
        if old and old in self.refresh_tokens:
            self.refresh_tokens[old].valid = False
        grant = RefreshGrant(new_token(), athlete_id, scope)
        self.refresh_tokens[grant.token] = grant
        self.current_refresh[athlete_id] = grant.token
        return grant

    def refresh(self, refresh_token: str) -> tuple[AccessToken, RefreshGrant] | None:
        """Strava's refresh: rotate the refresh token, reuse the access token if it has > 1 h left."""
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or not grant.valid:
                return None
            athlete_id = grant.athlete_id
            if athlete_id not in self.athletes:
                return None
            self.refreshes[athlete_id] += 1
            now = int(self.now())
            latest = self.access_tokens.get(self.latest_access.get(athlete_id, ""))
            if latest is not None and not latest.revoked and latest.expires_at - now > 3600:
                access = latest
            else:
                access = AccessToken(new_token(), athlete_id, grant.scope, now + self.config.access_token_ttl)
                self.access_tokens[access.token] = access
                self.latest_access[athlete_id] = access.token
            return access, self._rotate_refresh(athlete_id, grant.scope)

    def revoke_athlete(self, athlete_id: int) -> int:
        """Invalidate every access and refresh token of the athlete.  Returns how many were live."""
        with self.lock:
            n = 0
            for tok in self.access_tokens.values():
                if tok.athlete_id == athlete_id and not tok.revoked:
                    tok.revoked = True
                    n += 1
            for grant in self.refresh_tokens.values():
                if grant.athlete_id == athlete_id and grant.valid:
                    grant.valid = False
                    n += 1
            self.current_refresh.pop(athlete_id, None)
            self.latest_access.pop(athlete_id, None)
            return n

    def check_access(self, token: str) -> AccessToken | None:
        with self.lock:
            tok = self.access_tokens.get(token)
            if tok is None or tok.revoked or tok.expires_at <= self.now():
                return None
            if tok.athlete_id not in self.athletes:
                return None
            return tok

    # ------------------------------------------------------------------ rate limits
    def connected_athletes(self) -> set[int]:
        """Athletes holding a live grant: the ones counted against ``athlete_capacity``."""
        with self.lock:
            return {grant.athlete_id for grant in self.refresh_tokens.values() if grant.valid}

    def count_request(self) -> tuple[str | None, dict[str, str]]:
        """Count one API request against the app-wide buckets.

        Returns (exceeded bucket field or None, rate headers).  A rejected request still counts.
        """
        with self.lock:
            now = self.now()
            self.overall.roll(now)
            self.read.roll(now)
            # every endpoint the simulator serves is "non-upload": it draws on both buckets
            for w in (self.overall, self.read):
                w.quarter_usage += 1
                w.day_usage += 1
            exceeded: str | None = None
            rl, ol = self.config.read_limit, self.config.overall_limit
            if self.read.quarter_usage > rl[0] or self.read.day_usage > rl[1]:
                exceeded = "read rate limit"
            elif self.overall.quarter_usage > ol[0] or self.overall.day_usage > ol[1]:
                exceeded = "overall rate limit"
            if exceeded:
                self.rate_limited += 1
            return exceeded, self.rate_headers_locked()

    def rate_headers(self) -> dict[str, str]:
        with self.lock:
            now = self.now()
            self.overall.roll(now)
            self.read.roll(now)
            return self.rate_headers_locked()

    def rate_headers_locked(self) -> dict[str, str]:
        ol, rl = self.config.overall_limit, self.config.read_limit
        return {
            # Strava's clock, which is the clock its windows follow (docs/simulator.md).
            "Date": formatdate(self.now(), usegmt=True),
            "X-RateLimit-Limit": f"{ol[0]},{ol[1]}",
            "X-RateLimit-Usage": f"{self.overall.quarter_usage},{self.overall.day_usage}",
            "X-ReadRateLimit-Limit": f"{rl[0]},{rl[1]}",
            "X-ReadRateLimit-Usage": f"{self.read.quarter_usage},{self.read.day_usage}",
        }

    def reset_windows(self) -> None:
        with self.lock:
            self.overall = Window()
            self.read = Window()

    def usage(self) -> JsonObject:
        with self.lock:
            now = self.now()
            self.overall.roll(now)
            self.read.roll(now)
            return {
                "overall": {
                    "limit": list(self.config.overall_limit),
                    "usage": [self.overall.quarter_usage, self.overall.day_usage],
                },
                "read": {
                    "limit": list(self.config.read_limit),
                    "usage": [self.read.quarter_usage, self.read.day_usage],
                },
                "seconds_to_next_quarter": QUARTER - (now % QUARTER),
                "seconds_to_utc_midnight": DAY - (now % DAY),
            }

    # ------------------------------------------------------------------ faults
    def add_fault(self, **kwargs: Any) -> FaultRule:
        with self.lock:
            rule = FaultRule(id=self.next_fault_id, **kwargs)
            rule.kind = FaultKind(rule.kind)
            rule.remaining = rule.count
            self.next_fault_id += 1
            if rule.kind is FaultKind.NOT_FOUND_AFTER_CREATE:
                self.not_found_after_create = rule.count
            self.faults.append(rule)
            return rule

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.not_found_after_create = 0
            self.not_found_remaining.clear()

    def remove_fault(self, rule_id: int) -> bool:
        with self.lock:
            for rule in self.faults:
                if rule.id == rule_id:
                    self.faults.remove(rule)
                    if rule.kind is FaultKind.NOT_FOUND_AFTER_CREATE:
                        self.not_found_after_create = 0
                    return True
            return False

    def match_fault(self, method: str, path: str) -> FaultRule | None:
        """Consume one matching status/delay rule, if any (first added wins)."""
        with self.lock:
            for rule in self.faults:
                if rule.kind is FaultKind.NOT_FOUND_AFTER_CREATE or rule.remaining <= 0:
                    continue
                if not path.startswith(rule.path_prefix):
                    continue
                if rule.method and rule.method.upper() != method.upper():
                    continue
                rule.remaining -= 1
                rule.hits += 1
                self.faults_served += 1
                return rule
            return None

    def take_not_found(self, activity_id: int) -> bool:
        """True if this GET of a freshly created activity should still answer 404."""
        with self.lock:
            left = self.not_found_remaining.get(activity_id, 0)
            if left <= 0:
                return False
            self.not_found_remaining[activity_id] = left - 1
            self.faults_served += 1
            return True

    # ------------------------------------------------------------------ stats
    def record(self, endpoint: str, status: int, athlete_id: int | None) -> None:
        with self.lock:
            self.requests_by_endpoint[endpoint] += 1
            self.status_counts[str(status)] += 1
            if athlete_id is not None:
                self.requests_by_athlete[athlete_id][endpoint] += 1

    def stats(self) -> JsonObject:
        with self.lock:
            api_requests = sum(n for key, n in self.requests_by_endpoint.items() if " /api/v3/" in key)
            token_requests = sum(
                n for key, n in self.requests_by_endpoint.items() if key.endswith("/oauth/token")
            )
            # `api_requests` already holds the /api/v3/oauth/token spelling of the token endpoint.
            bare_token = self.requests_by_endpoint.get("POST /oauth/token", 0)
            return {
                "token_requests": token_requests,
                "counted_requests": api_requests + bare_token,
                "requests_by_endpoint": dict(self.requests_by_endpoint),
                "status_counts": dict(self.status_counts),
                "api_requests": api_requests,
                "rate_limited": self.rate_limited,
                "faults_served": self.faults_served,
                "refreshes": {str(k): v for k, v in self.refreshes.items()},
                "refreshes_total": sum(self.refreshes.values()),
                "token_exchanges": {str(k): v for k, v in self.exchanges.items()},
                "per_athlete": {str(k): dict(v) for k, v in self.requests_by_athlete.items()},
                "deliveries": dict(Counter(str(d.status) for d in self.deliveries)),
                "usage": self.usage(),
            }
