"""The ``/_sim`` admin API: drive the simulated world from tests, the demo and benchmarks.

World changes made here (create/update/delete activity, deauthorize athlete) push the matching Strava webhook
event to the subscription callback, exactly as Strava would.  See docs/simulator.md for every endpoint.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from simulator import season
from simulator.delivery import Deliverer, event
from simulator.state import DEFAULT_SCOPE, SimConfig, Subscription, World


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
    fields: dict[str, Any] = Field(
        default_factory=dict, description="top-level overrides (name, private, ...)"
    )
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


def _activity_row(act: dict[str, Any], hidden: bool = False) -> dict[str, Any]:
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


def build_admin_router(world: World, deliverer: Deliverer) -> APIRouter:
    r = APIRouter(prefix="/_sim", tags=["simulator admin"])

    def athlete_or_404(athlete_id: int) -> dict[str, Any]:
        a = world.athletes.get(athlete_id)
        if a is None:
            raise HTTPException(404, f"no athlete {athlete_id}")
        return a

    def push(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [d.public() for d in deliverer.push(body)]

    def register_created(act: dict[str, Any]) -> None:
        world.activities[act["id"]] = act
        if world.not_found_after_create > 0:
            world.not_found_remaining[act["id"]] = world.not_found_after_create

    # ---------------------------------------------------------------------------------------------- world
    @r.get("/health")
    def health() -> dict[str, Any]:
        with world.lock:
            ids = list(world.athletes)
        return {"ok": True, "athletes": ids, "demo_athlete_id": ids[0] if ids else None, "now": world.now()}

    @r.get("/config")
    def get_config() -> dict[str, Any]:
        return world.config.public()

    @r.patch("/config")
    def patch_config(body: dict[str, Any]) -> dict[str, Any]:
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

    @r.post("/reset")
    def reset(body: ResetIn | None = None) -> dict[str, Any]:
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

    # ---------------------------------------------------------------------------------------------- athletes
    @r.get("/athletes")
    def list_athletes() -> list[dict[str, Any]]:
        with world.lock:
            out = []
            for aid, a in world.athletes.items():
                n = sum(1 for act in world.activities.values() if act["athlete"]["id"] == aid)
                out.append(season.public_athlete(a) | {"activity_count": n, "timezone": a["_tz"]})
            return out

    @r.post("/athletes", status_code=201)
    def create_athlete(body: AthleteIn | None = None) -> dict[str, Any]:
        body = body or AthleteIn()
        with world.lock:
            if body.id is not None and body.id in world.athletes:
                raise HTTPException(409, f"athlete {body.id} exists")
            rng = random.Random(
                body.seed if body.seed is not None else f"{world.config.seed}:a{len(world.athletes)}"
            )
            overrides: dict[str, Any] = {}
            if body.firstname:
                overrides["firstname"] = body.firstname
            if body.lastname:
                overrides["lastname"] = body.lastname
            if body.timezone:
                overrides["_tz"] = body.timezone
            athlete = season.make_athlete(world, rng, body.id, **overrides)
            if body.id is not None:
                world.next_athlete_id = max(world.next_athlete_id, body.id + 1)
            world.athletes[athlete["id"]] = athlete
            ids: list[int] = []
            if body.weeks:
                end = world.config.season_end or datetime.fromtimestamp(world.now(), UTC).date()
                for act in season.generate_season(world, athlete, body.weeks, end, rng):
                    world.activities[act["id"]] = act
                    ids.append(act["id"])
                world.season_ids[athlete["id"]] = ids
            return season.public_athlete(athlete) | {"timezone": athlete["_tz"], "activity_ids": ids}

    @r.get("/athletes/{athlete_id}")
    def get_athlete(athlete_id: int) -> dict[str, Any]:
        with world.lock:
            a = athlete_or_404(athlete_id)
            return season.public_athlete(a) | {"timezone": a["_tz"]}

    @r.post("/athletes/{athlete_id}/tokens")
    def issue_tokens(athlete_id: int, body: TokenIn | None = None) -> dict[str, Any]:
        body = body or TokenIn()
        with world.lock:
            athlete_or_404(athlete_id)
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

    @r.post("/athletes/{athlete_id}/deauthorize")
    def deauthorize(athlete_id: int) -> dict[str, Any]:
        with world.lock:
            athlete_or_404(athlete_id)
            revoked = world.revoke_athlete(athlete_id)
            body = event(world, "athlete", athlete_id, "update", athlete_id, {"authorized": "false"})
        return {"revoked_tokens": revoked, "event": body, "deliveries": push(body)}

    # ---------------------------------------------------------------------------------------------- activities
    @r.get("/activities")
    def list_activities(athlete_id: int | None = None, include_hidden: bool = False) -> list[dict[str, Any]]:
        with world.lock:
            rows = [_activity_row(a) for a in world.activities.values()]
            if include_hidden:
                rows += [_activity_row(a, hidden=True) for a in world.hidden_activities.values()]
        if athlete_id is not None:
            rows = [row for row in rows if row["athlete_id"] == athlete_id]
        return sorted(rows, key=lambda row: (row["start_date"], row["id"]))

    @r.get("/activities/{activity_id}")
    def get_activity(activity_id: int) -> dict[str, Any]:
        with world.lock:
            act = world.activities.get(activity_id) or world.hidden_activities.get(activity_id)
            if act is None:
                raise HTTPException(404, f"no activity {activity_id}")
            return season.detailed_activity(act)

    @r.post("/athletes/{athlete_id}/activities", status_code=201)
    def create_activity(athlete_id: int, body: ActivityIn | None = None) -> dict[str, Any]:
        body = body or ActivityIn()
        if body.kind not in season.KINDS:
            raise HTTPException(400, f"kind must be one of {list(season.KINDS)}")
        with world.lock:
            athlete = athlete_or_404(athlete_id)
            if body.id is not None and (body.id in world.activities or body.id in world.hidden_activities):
                raise HTTPException(409, f"activity {body.id} exists")
            start_local = body.start_date_local
            if start_local is None:
                from zoneinfo import ZoneInfo

                start_local = datetime.fromtimestamp(world.now() - 3600, ZoneInfo(athlete["_tz"]))
            start_local = start_local.replace(tzinfo=None, microsecond=0)
            rng = random.Random(
                body.seed if body.seed is not None else f"{world.config.seed}:{athlete_id}:{start_local}"
            )
            act = season.build_activity(world, athlete, body.kind, start_local, rng, body.id, body.fields)
            if body.id is not None:
                world.next_activity_id = max(world.next_activity_id, body.id + 1)
            register_created(act)
            ev = event(world, "activity", act["id"], "create", athlete_id)
        deliveries = push(ev) if body.push else []
        return {"activity": season.detailed_activity(act), "event": ev, "deliveries": deliveries}

    @r.patch("/activities/{activity_id}")
    def update_activity(activity_id: int, body: ActivityPatch) -> dict[str, Any]:
        with world.lock:
            act = world.activities.get(activity_id)
            if act is None:
                raise HTTPException(404, f"no activity {activity_id}")
            updates: dict[str, str] = {}
            overrides: dict[str, Any] = {}
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
            if not updates:
                raise HTTPException(400, "nothing to update: give name/title, type/sport_type or private")
            season.apply_overrides(act, overrides)
            ev = event(world, "activity", activity_id, "update", act["athlete"]["id"], updates)
        deliveries = push(ev) if body.push else []
        return {"activity": season.detailed_activity(act), "event": ev, "deliveries": deliveries}

    @r.delete("/activities/{activity_id}")
    def delete_activity(activity_id: int, push_event: bool = True) -> dict[str, Any]:
        with world.lock:
            act = world.activities.pop(activity_id, None)
            if act is None:
                raise HTTPException(404, f"no activity {activity_id}")
            ev = event(world, "activity", activity_id, "delete", act["athlete"]["id"])
        deliveries = push(ev) if push_event else []
        return {"event": ev, "deliveries": deliveries}

    @r.post("/replay")
    def replay(body: ReplayIn | None = None) -> dict[str, Any]:
        """Push ``create`` for the seeded season runs (revealing them first if they were held back)."""
        body = body or ReplayIn()
        events: list[dict[str, Any]] = []
        with world.lock:
            athlete_ids = [body.athlete_id] if body.athlete_id is not None else list(world.season_ids)
            chosen: list[dict[str, Any]] = []
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
            if body.limit is not None:
                chosen = chosen[: body.limit]
            for act in chosen:
                if act["id"] in world.hidden_activities:
                    register_created(world.hidden_activities.pop(act["id"]))
                events.append(event(world, "activity", act["id"], "create", act["athlete"]["id"]))
        deliverer.push_many(events)
        return {"pushed": len(events), "activity_ids": [ev["object_id"] for ev in events]}

    # ---------------------------------------------------------------------------------------------- limits, clock
    @r.get("/limits")
    def get_limits() -> dict[str, Any]:
        return world.usage()

    @r.put("/limits")
    def set_limits(body: LimitsIn) -> dict[str, Any]:
        with world.lock:
            if body.read is not None:
                world.config.read_limit = body.read
            if body.overall is not None:
                world.config.overall_limit = body.overall
            if body.reset_usage:
                world.reset_windows()
        return world.usage()

    @r.post("/limits/reset")
    def reset_limits() -> dict[str, Any]:
        world.reset_windows()
        return world.usage()

    @r.get("/clock")
    def get_clock() -> dict[str, Any]:
        now = world.now()
        return {"now": now, "offset": world.clock_offset, "iso": datetime.fromtimestamp(now, UTC).isoformat()}

    @r.post("/clock")
    def set_clock(body: ClockIn) -> dict[str, Any]:
        with world.lock:
            if body.offset is not None:
                world.clock_offset = body.offset
            if body.advance is not None:
                world.clock_offset += body.advance
            if body.set is not None:
                world.clock_offset = body.set - (world.now() - world.clock_offset)
        return get_clock()

    # ---------------------------------------------------------------------------------------------- faults
    @r.get("/faults")
    def list_faults() -> list[dict[str, Any]]:
        with world.lock:
            return [f.public() for f in world.faults]

    @r.post("/faults", status_code=201)
    def add_fault(body: FaultIn) -> dict[str, Any]:
        return world.add_fault(**body.model_dump()).public()

    @r.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        world.clear_faults()
        return {"cleared": True}

    @r.delete("/faults/{rule_id}")
    def remove_fault(rule_id: int) -> dict[str, Any]:
        if not world.remove_fault(rule_id):
            raise HTTPException(404, f"no fault rule {rule_id}")
        return {"removed": rule_id}

    # ---------------------------------------------------------------------------------------------- stats
    @r.get("/stats")
    def stats() -> dict[str, Any]:
        return world.stats()

    @r.post("/stats/reset")
    def reset_stats() -> dict[str, Any]:
        world.reset_stats()
        return world.stats()

    # ---------------------------------------------------------------------------------------------- deliveries
    @r.get("/deliveries")
    def deliveries(status: str | None = None) -> list[dict[str, Any]]:
        with world.lock:
            rows = [d.public() for d in world.deliveries]
        return [row for row in rows if status is None or row["status"] == status]

    @r.post("/deliveries/wait")
    def wait(body: WaitIn | None = None) -> dict[str, Any]:
        idle = deliverer.wait_idle((body or WaitIn()).timeout)
        return {"idle": idle, "pending": deliverer.pending()}

    @r.delete("/deliveries")
    def clear_deliveries() -> dict[str, Any]:
        with world.lock:
            world.deliveries.clear()
        return {"cleared": True}

    # ---------------------------------------------------------------------------------------------- subscription
    @r.get("/subscription")
    def get_subscription() -> dict[str, Any] | None:
        sub = world.subscription
        return dataclasses.asdict(sub) if sub else None

    @r.put("/subscription")
    def put_subscription(body: SubscriptionIn) -> dict[str, Any]:
        """Configure the push subscription directly (no handshake), like ``--callback-url``."""
        with world.lock:
            sid = body.id if body.id is not None else world.next_subscription_id
            world.next_subscription_id = max(world.next_subscription_id, sid + 1)
            world.subscription = Subscription(
                sid, body.callback_url, body.verify_token, world.now(), world.config.client_id
            )
            return dataclasses.asdict(world.subscription)

    @r.delete("/subscription")
    def delete_subscription() -> dict[str, Any]:
        with world.lock:
            world.subscription = None
        return {"deleted": True}

    return r
