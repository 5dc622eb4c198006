"""The ``/_sim`` admin API: drive the simulated world from tests, the demo and benchmarks.

World changes made here (create/update/delete activity, deauthorize athlete) push the matching Strava webhook
event to the subscription callback, exactly as Strava would.  See docs/simulator.md for every endpoint.
"""

from __future__ import annotations

import bisect
import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from simulator import season
from simulator.athlete import SimAthlete
from simulator.delivery import AspectType, Deliverer, activity_event, deauthorization_event
from simulator.deps import DelivererDep, WorldDep
from simulator.state import DEFAULT_SCOPE, JsonObject, SimConfig, StravaActivity, Subscription, World


class AthleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int | None = None
    firstname: str | None = None
    lastname: str | None = None
    timezone: str | None = Field(None, description="IANA name, e.g. Europe/Amsterdam")
    weeks: int = Field(0, description="generate this many weeks of season (no pushes)")
    seed: int | None = None


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "easy"
    start_date_local: datetime | None = Field(None, description="local wall clock; default: now, local")
    fields: JsonObject = Field(default_factory=dict, description="top-level overrides (name, private, ...)")
    id: int | None = None
    push: bool = True
    seed: int | None = None


class ActivityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    title: str | None = None
    type: str | None = None
    sport_type: str | None = None
    private: bool | None = None
    visibility: str | None = Field(None, pattern="^(everyone|followers_only|only_me)$")
    push: bool = True


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: str = DEFAULT_SCOPE
    expires_in: int | None = Field(None, description="access token lifetime; <= 0 gives an expired token")


class LimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    read: tuple[int, int] | None = None
    overall: tuple[int, int] | None = None
    reset_usage: bool = False


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset: float | None = None
    advance: float | None = None
    set: float | None = Field(None, description="make now() return this epoch second")


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field("status", pattern="^(status|delay|not_found_after_create)$")
    path_prefix: str = "/api/v3"
    method: str | None = None
    status: int = 500
    count: int = 1
    delay: float = 0.0


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    callback_url: str
    id: int | None = None
    verify_token: str = "STRAVA"


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    athlete_id: int | None = None
    after: date | None = Field(None, description="only runs on or after this local date")
    before: date | None = Field(None, description="only runs before this local date")
    limit: int | None = None


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reseed: bool = True
    keep_subscription: bool = True


class WaitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout: float = 10.0


def _activity_row(act: StravaActivity, hidden: bool = False) -> JsonObject:
    return {
        "id": act["id"],
        "athlete_id": act["athlete"]["id"],
        "name": act["name"],
        "sport_type": act["sport_type"],
        "kind": act.get("_kind"),
        "start_date": act["start_date"],
        "start_date_local": act["start_date_local"],
        "distance": act["distance"],
        "private": act.get("private", False),
        "hidden": hidden,
    }


def athlete_or_404(world: World, athlete_id: int) -> SimAthlete:
    a = world.athletes.get(athlete_id)
    if a is None:
        raise HTTPException(404, f"no athlete {athlete_id}")
    return a


def _athlete_row(athlete: SimAthlete) -> JsonObject:
    """The athlete as ``/athlete`` serves it, plus the time zone its runs are laid out in."""
    return athlete.strava_json() | {"timezone": athlete.timezone}


def register_created(world: World, act: StravaActivity) -> None:
    world.activities[act["id"]] = act
    if world.not_found_after_create > 0:
        world.not_found_remaining[act["id"]] = world.not_found_after_create


def _pushed(deliverer: Deliverer, ev: JsonObject, push: bool) -> list[JsonObject]:
    return deliverer.push_public(ev) if push else []


admin_router = APIRouter(prefix="/_sim", tags=["simulator admin"])


# -------------------------------------------------------------------------------------------------- world
@admin_router.get("/health")
def health(world: WorldDep) -> JsonObject:
    with world.lock:
        ids = list(world.athletes)
    return {"ok": True, "athletes": ids, "demo_athlete_id": ids[0] if ids else None, "now": world.now()}


@admin_router.get("/config")
def get_config(world: WorldDep) -> JsonObject:
    return world.config.public()


@admin_router.patch("/config")
def patch_config(body: JsonObject, world: WorldDep) -> JsonObject:
    names = {f.name: f for f in dataclasses.fields(SimConfig)}
    with world.lock:
        for key, value in body.items():
            if key not in names:
                raise HTTPException(400, f"unknown config key {key!r}; known: {sorted(names)}")
            current = getattr(world.config, key)
            if isinstance(current, tuple):
                value = tuple(int(v) for v in value)
            elif key == "season_end" and value is not None:
                value = date.fromisoformat(value)
            setattr(world.config, key, value)
    return world.config.public()


@admin_router.post("/reset")
def reset(world: WorldDep, deliverer: DelivererDep, body: ResetIn | None = None) -> JsonObject:
    body = body or ResetIn()
    deliverer.clear()
    with world.lock:
        sub = world.subscription
        world.reset()
        world.clock_offset = 0.0
        if body.keep_subscription:
            world.subscription = sub
        ids = season.seed_world(world) if body.reseed else []
    return {"athletes": ids, "demo_athlete_id": ids[0] if ids else None}


# -------------------------------------------------------------------------------------------------- athletes
@admin_router.get("/athletes")
def list_athletes(world: WorldDep) -> list[JsonObject]:
    with world.lock:
        out = []
        for aid, a in world.athletes.items():
            n = sum(1 for act in world.activities.values() if act["athlete"]["id"] == aid)
            out.append(a.strava_json() | {"activity_count": n, "timezone": a.timezone})
        return out


def _seed_season(world: World, athlete: SimAthlete, weeks: int, rng: random.Random) -> list[int]:
    """``weeks`` of visible runs for a new athlete, ending at the configured season end (else today)."""
    end = world.config.season_end or datetime.fromtimestamp(world.now(), UTC).date()
    ids: list[int] = []
    for act in season.generate_season(world, athlete, weeks, end, rng):
        world.activities[act["id"]] = act
        ids.append(act["id"])
    world.season_ids[athlete.id] = ids
    return ids


@admin_router.post("/athletes", status_code=201)
def create_athlete(world: WorldDep, body: AthleteIn | None = None) -> JsonObject:
    body = body or AthleteIn()
    with world.lock:
        if body.id is not None and body.id in world.athletes:
            raise HTTPException(409, f"athlete {body.id} exists")
        rng = random.Random(
            body.seed if body.seed is not None else f"{world.config.seed}:a{len(world.athletes)}"
        )
        athlete = season.make_athlete(
            world, rng, body.id, firstname=body.firstname, lastname=body.lastname, timezone=body.timezone
        )
        if body.id is not None:
            world.next_athlete_id = max(world.next_athlete_id, body.id + 1)
        world.athletes[athlete.id] = athlete
        ids = _seed_season(world, athlete, body.weeks, rng) if body.weeks else []
        return _athlete_row(athlete) | {"activity_ids": ids}


@admin_router.get("/athletes/{athlete_id}")
def get_athlete(athlete_id: int, world: WorldDep) -> JsonObject:
    with world.lock:
        return _athlete_row(athlete_or_404(world, athlete_id))


@admin_router.post("/athletes/{athlete_id}/tokens")
def issue_tokens(athlete_id: int, world: WorldDep, body: TokenIn | None = None) -> JsonObject:
    body = body or TokenIn()
    with world.lock:
        athlete_or_404(world, athlete_id)
        scope = frozenset(s for s in body.scope.split(",") if s)
        access, grant = world.issue_tokens(athlete_id, scope, body.expires_in)
        return {
            "token_type": "Bearer",
            "access_token": access.token,
            "refresh_token": grant.token,
            "expires_at": access.expires_at,
            "expires_in": access.expires_at - int(world.now()),
            "scope": ",".join(sorted(scope)),
            "athlete_id": athlete_id,
        }


@admin_router.post("/athletes/{athlete_id}/deauthorize")
def deauthorize(athlete_id: int, world: WorldDep, deliverer: DelivererDep) -> JsonObject:
    with world.lock:
        athlete_or_404(world, athlete_id)
        revoked = world.revoke_athlete(athlete_id)
        body = deauthorization_event(world, athlete_id)
    return {"revoked_tokens": revoked, "event": body, "deliveries": deliverer.push_public(body)}


# -------------------------------------------------------------------------------------------------- activities
@admin_router.get("/activities")
def list_activities(
    world: WorldDep, athlete_id: int | None = None, include_hidden: bool = False
) -> list[JsonObject]:
    with world.lock:
        rows = [_activity_row(a) for a in world.activities.values()]
        if include_hidden:
            rows += [_activity_row(a, hidden=True) for a in world.hidden_activities.values()]
    if athlete_id is not None:
        rows = [row for row in rows if row["athlete_id"] == athlete_id]
    return sorted(rows, key=lambda row: (row["start_date"], row["id"]))


@admin_router.get("/activities/{activity_id}")
def get_activity(activity_id: int, world: WorldDep) -> JsonObject:
    with world.lock:
        act = world.activities.get(activity_id) or world.hidden_activities.get(activity_id)
        if act is None:
            raise HTTPException(404, f"no activity {activity_id}")
        return season.detailed_activity(act)


# Activities created without a start are kept this far apart per athlete: one athlete records one activity at
# a time, and RunSmart files overlapping activities of one athlete as the same run (docs/sources.md).
DEFAULT_START_GAP = timedelta(hours=6)


def _local_start(world: World, athlete: SimAthlete, given: datetime | None) -> datetime:
    """The wall-clock start of a new activity: the one given, else an hour ago in the athlete's zone, moved
    earlier while it would be near another activity of the athlete."""
    if given is not None:
        return given.replace(tzinfo=None, microsecond=0)
    now = datetime.fromtimestamp(world.now() - 3600, ZoneInfo(athlete.timezone))
    start = now.replace(tzinfo=None, microsecond=0)
    taken = sorted(
        datetime.fromisoformat(str(a["start_date_local"]).removesuffix("Z"))
        for a in world.activities.values()
        if a["athlete"]["id"] == athlete.id
    )
    while True:
        nearest = bisect.bisect_right(taken, start - DEFAULT_START_GAP)
        if nearest == len(taken) or taken[nearest] >= start + DEFAULT_START_GAP:
            return start
        start = taken[nearest] - DEFAULT_START_GAP


@admin_router.post("/athletes/{athlete_id}/activities", status_code=201)
def create_activity(
    athlete_id: int, world: WorldDep, deliverer: DelivererDep, body: ActivityIn | None = None
) -> JsonObject:
    body = body or ActivityIn()
    if body.kind not in season.KINDS:
        raise HTTPException(400, f"kind must be one of {list(season.KINDS)}")
    with world.lock:
        athlete = athlete_or_404(world, athlete_id)
        if body.id is not None and (body.id in world.activities or body.id in world.hidden_activities):
            raise HTTPException(409, f"activity {body.id} exists")
        start_local = _local_start(world, athlete, body.start_date_local)
        rng = random.Random(
            body.seed if body.seed is not None else f"{world.config.seed}:{athlete_id}:{start_local}"
        )
        act = season.build_activity(world, athlete, body.kind, start_local, rng, body.id, body.fields)
        if body.id is not None:
            world.next_activity_id = max(world.next_activity_id, body.id + 1)
        register_created(world, act)
        ev = activity_event(world, AspectType.CREATE, act)
    deliveries = _pushed(deliverer, ev, body.push)
    return {"activity": season.detailed_activity(act), "event": ev, "deliveries": deliveries}


def _patch_changes(body: ActivityPatch) -> tuple[JsonObject, dict[str, str]]:
    """(activity overrides, the event's ``updates``) of an update; Strava's updates name a title, a type
    and privacy, in strings."""
    updates: dict[str, str] = {}
    overrides: JsonObject = {}
    title = body.title if body.title is not None else body.name
    if title is not None:
        overrides["name"] = title
        updates["title"] = title
    new_type = body.sport_type or body.type
    if new_type is not None:
        if body.sport_type:
            overrides["sport_type"] = body.sport_type
        if body.type:
            overrides["type"] = body.type
        updates["type"] = body.type or ("Run" if new_type == "TrailRun" else new_type)
    if body.private is not None or body.visibility is not None:
        # A real privacy change carries both keys (docs/simulator.md, "Privacy updates").
        visibility = body.visibility or ("only_me" if body.private else "everyone")
        private = visibility == "only_me"
        overrides.update(private=private, visibility=visibility)
        updates["private"] = "true" if private else "false"
        updates["visibility"] = visibility
    return overrides, updates


@admin_router.patch("/activities/{activity_id}")
def update_activity(
    activity_id: int, body: ActivityPatch, world: WorldDep, deliverer: DelivererDep
) -> JsonObject:
    with world.lock:
        act = world.activities.get(activity_id)
        if act is None:
            raise HTTPException(404, f"no activity {activity_id}")
        overrides, updates = _patch_changes(body)
        if not updates:
            raise HTTPException(400, "nothing to update: give name/title, type/sport_type or private")
        season.apply_overrides(act, overrides)
        ev = activity_event(world, AspectType.UPDATE, act, updates)
    deliveries = _pushed(deliverer, ev, body.push)
    return {"activity": season.detailed_activity(act), "event": ev, "deliveries": deliveries}


@admin_router.delete("/activities/{activity_id}")
def delete_activity(
    activity_id: int, world: WorldDep, deliverer: DelivererDep, push_event: bool = True
) -> JsonObject:
    with world.lock:
        act = world.activities.pop(activity_id, None)
        if act is None:
            raise HTTPException(404, f"no activity {activity_id}")
        ev = activity_event(world, AspectType.DELETE, act)
    return {"event": ev, "deliveries": _pushed(deliverer, ev, push_event)}


def _replay_choice(world: World, body: ReplayIn) -> list[StravaActivity]:
    """The seeded runs a replay pushes, oldest first."""
    athlete_ids = [body.athlete_id] if body.athlete_id is not None else list(world.season_ids)
    chosen: list[StravaActivity] = []
    for aid in athlete_ids:
        for act_id in world.season_ids.get(aid, []):
            act = world.activities.get(act_id) or world.hidden_activities.get(act_id)
            if act is None:
                continue
            day = date.fromisoformat(act["start_date_local"][:10])
            if body.after and day < body.after:
                continue
            if body.before and day >= body.before:
                continue
            chosen.append(act)
    chosen.sort(key=lambda a: (a["start_date"], a["id"]))
    return chosen if body.limit is None else chosen[: body.limit]


@admin_router.post("/replay")
def replay(world: WorldDep, deliverer: DelivererDep, body: ReplayIn | None = None) -> JsonObject:
    """Push ``create`` for the seeded season runs (revealing them first if they were held back)."""
    body = body or ReplayIn()
    events: list[JsonObject] = []
    with world.lock:
        for act in _replay_choice(world, body):
            if act["id"] in world.hidden_activities:
                register_created(world, world.hidden_activities.pop(act["id"]))
            events.append(activity_event(world, AspectType.CREATE, act))
    deliverer.push_many(events)
    return {"pushed": len(events), "activity_ids": [ev["object_id"] for ev in events]}


# -------------------------------------------------------------------------------------------------- limits, clock
@admin_router.get("/limits")
def get_limits(world: WorldDep) -> JsonObject:
    return world.usage()


@admin_router.put("/limits")
def set_limits(body: LimitsIn, world: WorldDep) -> JsonObject:
    with world.lock:
        if body.read is not None:
            world.config.read_limit = body.read
        if body.overall is not None:
            world.config.overall_limit = body.overall
        if body.reset_usage:
            world.reset_windows()
    return world.usage()


@admin_router.post("/limits/reset")
def reset_limits(world: WorldDep) -> JsonObject:
    world.reset_windows()
    return world.usage()


@admin_router.get("/clock")
def get_clock(world: WorldDep) -> JsonObject:
    now = world.now()
    return {"now": now, "offset": world.clock_offset, "iso": datetime.fromtimestamp(now, UTC).isoformat()}


@admin_router.post("/clock")
def set_clock(body: ClockIn, world: WorldDep) -> JsonObject:
    with world.lock:
        if body.offset is not None:
            world.clock_offset = body.offset
        if body.advance is not None:
            world.clock_offset += body.advance
        if body.set is not None:
            world.clock_offset = body.set - (world.now() - world.clock_offset)
    return get_clock(world)


# -------------------------------------------------------------------------------------------------- faults
@admin_router.get("/faults")
def list_faults(world: WorldDep) -> list[JsonObject]:
    with world.lock:
        return [f.public() for f in world.faults]


@admin_router.post("/faults", status_code=201)
def add_fault(body: FaultIn, world: WorldDep) -> JsonObject:
    return world.add_fault(**body.model_dump()).public()


@admin_router.delete("/faults")
def clear_faults(world: WorldDep) -> JsonObject:
    world.clear_faults()
    return {"cleared": True}


@admin_router.delete("/faults/{rule_id}")
def remove_fault(rule_id: int, world: WorldDep) -> JsonObject:
    if not world.remove_fault(rule_id):
        raise HTTPException(404, f"no fault rule {rule_id}")
    return {"removed": rule_id}


# -------------------------------------------------------------------------------------------------- stats
@admin_router.get("/stats")
def stats(world: WorldDep) -> JsonObject:
    return world.stats()


@admin_router.post("/stats/reset")
def reset_stats(world: WorldDep) -> JsonObject:
    world.reset_stats()
    return world.stats()


# -------------------------------------------------------------------------------------------------- deliveries
@admin_router.get("/deliveries")
def deliveries(world: WorldDep, status: str | None = None) -> list[JsonObject]:
    with world.lock:
        rows = [d.public() for d in world.deliveries]
    return [row for row in rows if status is None or row["status"] == status]


@admin_router.post("/deliveries/wait")
def wait(deliverer: DelivererDep, body: WaitIn | None = None) -> JsonObject:
    idle = deliverer.wait_idle((body or WaitIn()).timeout)
    return {"idle": idle, "pending": deliverer.pending()}


@admin_router.delete("/deliveries")
def clear_deliveries(world: WorldDep) -> JsonObject:
    with world.lock:
        world.deliveries.clear()
    return {"cleared": True}


# -------------------------------------------------------------------------------------------------- subscription
@admin_router.get("/subscription")
def get_subscription(world: WorldDep) -> JsonObject | None:
    sub = world.subscription
    return dataclasses.asdict(sub) if sub else None


@admin_router.put("/subscription")
def put_subscription(body: SubscriptionIn, world: WorldDep) -> JsonObject:
    """Configure the push subscription directly (no handshake), like ``--callback-url``."""
    with world.lock:
        sid = body.id if body.id is not None else world.next_subscription_id
        world.next_subscription_id = max(world.next_subscription_id, sid + 1)
        world.subscription = Subscription(
            sid, body.callback_url, body.verify_token, world.now(), world.config.client_id
        )
        return dataclasses.asdict(world.subscription)


@admin_router.delete("/subscription")
def delete_subscription(world: WorldDep) -> JsonObject:
    with world.lock:
        world.subscription = None
    return {"deleted": True}
