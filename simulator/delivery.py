"""Webhook push delivery, the way Strava does it (docs/strava.md, "Webhooks").

Events are POSTed as JSON to the subscription's callback.  Anything but a 200 within the timeout is a failed
attempt; an event gets at most ``delivery_max_attempts`` attempts in total (Strava: 3), spaced by
``delivery_retry_delay`` seconds (real time, not the simulated clock), or as Strava spaces them with
``strava_retry_spacing``.  Deliveries run on one background
thread, so the admin call that changed the world returns at once; ``delivery_sync`` delivers inline instead.
Chaos options: ``duplicate_deliveries`` pushes every event twice, ``shuffle_deliveries`` shuffles each batch
of queued events before delivering it.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from enum import StrEnum

import requests

from simulator.state import Delivery, DeliveryStatus, JsonObject, StravaActivity, World

# Seconds between Strava's attempts at one event, as seen in a public capture (three deliveries 62 s, then
# 75 s apart): docs/simulator.md, "Webhook retries".
STRAVA_RETRY_SPACING_S = (62.0, 75.0)


class ObjectType(StrEnum):
    ACTIVITY = "activity"
    ATHLETE = "athlete"


class AspectType(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


def event(
    world: World,
    object_type: ObjectType,
    object_id: int,
    aspect_type: AspectType,
    owner_id: int,
    updates: dict[str, str] | None = None,
) -> JsonObject:
    """The exact Strava event body.  ``updates`` values are strings."""
    sub = world.subscription
    return {
        "aspect_type": str(aspect_type),
        "event_time": int(world.now()),
        "object_id": object_id,
        "object_type": str(object_type),
        "owner_id": owner_id,
        "subscription_id": sub.id if sub else None,
        "updates": {k: str(v) for k, v in (updates or {}).items()},
    }


def deauthorization_event(world: World, athlete_id: int) -> JsonObject:
    """What Strava pushes when an athlete revokes the application's access."""
    return event(
        world, ObjectType.ATHLETE, athlete_id, AspectType.UPDATE, athlete_id, {"authorized": "false"}
    )


def activity_event(
    world: World, aspect_type: AspectType, activity: StravaActivity, updates: dict[str, str] | None = None
) -> JsonObject:
    """The event Strava pushes when ``activity`` is created, updated or deleted."""
    return event(world, ObjectType.ACTIVITY, activity["id"], aspect_type, activity["athlete"]["id"], updates)


class Deliverer:
    def __init__(self, world: World) -> None:
        self.world = world
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._inflight = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        self._rng = random.Random(world.config.seed)
        self._session = requests.Session()

    # ------------------------------------------------------------------ public
    def push(self, body: JsonObject) -> list[Delivery]:
        """Queue (or, in sync mode, perform) the delivery of one event; returns the delivery records."""
        return self.push_many([body])

    def push_public(self, body: JsonObject) -> list[JsonObject]:
        """``push``, answering with the delivery records as the admin API shows them."""
        return [d.public() for d in self.push(body)]

    def push_many(self, bodies: list[JsonObject]) -> list[Delivery]:
        """Queue several events as one batch (so ``shuffle_deliveries`` can reorder them)."""
        world = self.world
        copies = 2 if world.config.duplicate_deliveries else 1
        records: list[Delivery] = []
        with world.lock:
            sub = world.subscription
            for body in bodies:
                for _ in range(copies):
                    rec = Delivery(world.next_delivery_id, dict(body), sub.callback_url if sub else None)
                    world.next_delivery_id += 1
                    if sub is None:
                        rec.status = DeliveryStatus.SKIPPED
                    world.deliveries.append(rec)
                    records.append(rec)
        live = [r for r in records if r.status == DeliveryStatus.PENDING]
        if world.config.delivery_sync:
            for rec in live:
                while rec.status == DeliveryStatus.PENDING:
                    delay = self._attempt(rec)
                    if delay is not None:
                        time.sleep(delay)
            return records
        self._ensure_thread()
        with self._cond:
            for rec in live:
                heapq.heappush(self._heap, (time.monotonic(), next(self._seq), rec))
            self._cond.notify_all()
        return records

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._inflight

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ------------------------------------------------------------------ internals
    def _ensure_thread(self) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._stop = False
                self._thread = threading.Thread(target=self._run, name="sim-webhook-delivery", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout if timeout is None else max(timeout, 0.001))
                if self._stop:
                    return
                now = time.monotonic()
                batch: list[Delivery] = []
                while self._heap and self._heap[0][0] <= now:
                    batch.append(heapq.heappop(self._heap)[2])
                if self.world.config.shuffle_deliveries:
                    self._rng.shuffle(batch)
                self._inflight += len(batch)
            for rec in batch:
                delay = self._attempt(rec)
                with self._cond:
                    self._inflight -= 1
                    if delay is not None:
                        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), rec))
                    self._cond.notify_all()

    def _attempt(self, rec: Delivery) -> float | None:
        """One POST.  Returns the retry delay if another attempt is due, else None (final outcome set)."""
        cfg = self.world.config
        started = time.monotonic()
        attempt: JsonObject = {"at": self.world.now(), "status": None, "error": None}
        try:
            resp = self._session.post(rec.callback_url or "", json=rec.event, timeout=cfg.delivery_timeout)
            attempt["status"] = resp.status_code
        except requests.RequestException as exc:
            attempt["error"] = f"{type(exc).__name__}: {exc}"[:300]
        attempt["seconds"] = round(time.monotonic() - started, 4)
        with self.world.lock:
            rec.attempts.append(attempt)
            if attempt["status"] == 200:
                rec.status = DeliveryStatus.DELIVERED
                return None
            if len(rec.attempts) >= cfg.delivery_max_attempts:
                rec.status = DeliveryStatus.FAILED
                return None
            if cfg.strava_retry_spacing:
                return STRAVA_RETRY_SPACING_S[min(len(rec.attempts), len(STRAVA_RETRY_SPACING_S)) - 1]
            return cfg.delivery_retry_delay
