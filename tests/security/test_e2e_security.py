"""Security properties of a real run: API, Celery worker and beat processes, PostgreSQL, Redis, and a simulated
Strava served from this process so that every token it ever issued is known.

One flow per module (two athletes connect through OAuth, sync runs, a forged and a real deauthorization), then
each test checks one property of what it left behind: the database, its dump and the process logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from cli.stack import SUBSCRIPTION_ID
from store.db import engine_for, session_factory
from store.models import Activity, Athlete, StravaConnection, StravaEvent
from tests.e2e.conftest import wait_for
from tests.security.conftest import (
    Secrets,
    SecurityDb,
    ThreadSimulator,
    make_world,
    pg_dump,
    table_rows_as_text,
    threaded_stack,
)

pytestmark = [pytest.mark.security, pytest.mark.e2e, pytest.mark.integration]


@dataclass
class Flow:
    db: SecurityDb
    log_dir: Path
    secrets: Secrets
    issued: set[str]
    kept_athlete: int
    kept_activities: dict[int, str]
    purged_athlete: int
    purged_activities: dict[int, str]
    purged_names: tuple[str, str]
    rows_before_forgeries: dict[str, int]
    rows_after_forgeries: dict[str, int]
    forged_statuses: list[int]


def _session(url: str):  # type: ignore[no-untyped-def]
    return session_factory(engine_for(url))()


def _activity_names(url: str) -> dict[int, str]:
    with _session(url) as session:
        return {a.id: a.name for a in session.scalars(select(Activity))}


def _row_counts(url: str) -> dict[str, int]:
    return {table: len(rows) for table, rows in table_rows_as_text(url).items()}


def _event_outcomes(url: str) -> list[str | None]:
    with _session(url) as session:
        return list(session.scalars(select(StravaEvent.outcome).order_by(StravaEvent.id)))


def _all_done(url: str) -> bool:
    with _session(url) as session:
        pending = session.scalar(
            select(func.count()).select_from(StravaEvent).where(StravaEvent.status != "done")
        )
        return pending == 0


@pytest.fixture(scope="module")
def flow(sec_db: SecurityDb, sec_broker: str, tmp_path_factory: pytest.TempPathFactory) -> Flow:
    secrets = Secrets()
    # Access tokens that live exactly the refresh margin: every API call refreshes and rotates the tokens,
    # so the run issues (and stores, and could leak) many of them.
    world = make_world(athletes=2, access_token_ttl=600)
    log_dir = tmp_path_factory.mktemp("security-logs")
    stack = threaded_stack(
        world,
        database_url=sec_db.url,
        broker_url=sec_broker,
        log_dir=log_dir,
        workers=1,
        beat=True,
        extra_env={
            "RUNSMART_TOKEN_KEY": secrets.token_key,
            "RUNSMART_BACKFILL_WEEKS": "0",
            "RUNSMART_LOG_LEVEL": "DEBUG",
            "RUNSMART_INBOX_SWEEP_EVERY_S": "2",
            "RUNSMART_INBOX_REDRIVE_AFTER_S": "5",
        },
    )
    simulator = stack.simulator
    assert isinstance(simulator, ThreadSimulator)
    try:
        stack.start()
        admin = simulator.admin
        kept, purged = (a["id"] for a in admin.athletes())
        assert stack.connect_athlete(kept) == kept
        assert stack.connect_athlete(purged) == purged
        kept_ids = [
            admin.create_activity(kept, kind=k, fields={"name": f"KeptRun-{k}-7f3a"})["activity"]["id"]
            for k in ("easy", "tempo")
        ]
        purged_ids = [
            admin.create_activity(purged, kind=k, fields={"name": f"PurgedRun-{k}-9c1e"})["activity"]["id"]
            for k in ("easy", "long", "intervals")
        ]
        admin.update_activity(purged_ids[0], title="PurgedRun-renamed-4b2d")
        wait_for(
            lambda: (
                set(_activity_names(sec_db.url)) == {*kept_ids, *purged_ids}
                and _activity_names(sec_db.url)[purged_ids[0]] == "PurgedRun-renamed-4b2d"
            ),
            timeout=60,
            what="every run synced",
        )
        wait_for(lambda: _all_done(sec_db.url), timeout=30, what="every event handled")
        kept_activities = {i: n for i, n in _activity_names(sec_db.url).items() if i in kept_ids}
        purged_activities = {i: n for i, n in _activity_names(sec_db.url).items() if i in purged_ids}
        with _session(sec_db.url) as session:
            athlete = session.get(Athlete, purged)
            assert athlete is not None
            purged_names = (athlete.firstname, athlete.lastname)

        # Forgeries: events for unknown or missing subscriptions, and a deauthorization of a live grant.
        before = _row_counts(sec_db.url)
        base = {
            "aspect_type": "create",
            "event_time": 1_700_000_000,
            "object_id": kept_ids[0],
            "object_type": "activity",
            "owner_id": kept,
            "updates": {},
        }
        forged_statuses = [
            requests.post(f"{stack.api_url}/webhooks/strava", json=body, timeout=5).status_code
            for body in (
                {**base, "subscription_id": SUBSCRIPTION_ID + 1},
                {**base, "subscription_id": 1},
                {**base, "aspect_type": "delete", "subscription_id": SUBSCRIPTION_ID + 1},
                {**base, "object_type": "athlete", "object_id": kept, "aspect_type": "update",
                 "updates": {"authorized": "false"}, "subscription_id": SUBSCRIPTION_ID - 1},
                base,  # no subscription_id at all
            )
        ]  # fmt: skip
        after = _row_counts(sec_db.url)
        deauth = {
            **base,
            "object_type": "athlete",
            "object_id": kept,
            "aspect_type": "update",
            "updates": {"authorized": "false"},
            "subscription_id": SUBSCRIPTION_ID,
        }
        assert requests.post(f"{stack.api_url}/webhooks/strava", json=deauth, timeout=5).status_code == 200
        forged_delete = {**base, "aspect_type": "delete", "subscription_id": SUBSCRIPTION_ID}
        assert (
            requests.post(f"{stack.api_url}/webhooks/strava", json=forged_delete, timeout=5).status_code
            == 200
        )
        # Across athletes: the other (connected) athlete named as the owner of the kept athlete's runs.
        for forged_across in (
            {**forged_delete, "owner_id": purged, "event_time": 1_700_000_001},
            {**forged_delete, "owner_id": purged, "object_id": kept_ids[1], "aspect_type": "update",
             "updates": {"title": "pwned"}, "event_time": 1_700_000_002},
        ):  # fmt: skip
            response = requests.post(f"{stack.api_url}/webhooks/strava", json=forged_across, timeout=5)
            assert response.status_code == 200
        wait_for(
            lambda: (
                _event_outcomes(sec_db.url).count("ignored_owner_mismatch") == 2
                and {"deauth_rejected_grant_alive", "ignored_delete_not_confirmed"}
                <= set(_event_outcomes(sec_db.url))
            ),
            timeout=30,
            what="the forged deauthorization and deletes to be handled",
        )

        # The real thing: the athlete revokes the app on Strava.
        admin.deauthorize(purged)
        wait_for(
            lambda: not (set(_activity_names(sec_db.url)) & set(purged_ids)),
            timeout=60,
            what="the deauthorized athlete's runs to be purged",
        )
        wait_for(lambda: _all_done(sec_db.url), timeout=30, what="every event handled")
    finally:
        stack.stop()
    return Flow(
        db=sec_db,
        log_dir=log_dir,
        secrets=secrets,
        issued=simulator.issued_secrets(),
        kept_athlete=kept,
        kept_activities=kept_activities,
        purged_athlete=purged,
        purged_activities=purged_activities,
        purged_names=purged_names,
        rows_before_forgeries=before,
        rows_after_forgeries=after,
        forged_statuses=forged_statuses,
    )


def test_forged_events_change_nothing(flow: Flow) -> None:
    # Unknown subscription ids are refused before anything is stored, with the same answer as a missing one
    # (not an event at all), so a guesser learns nothing from the status.
    assert flow.forged_statuses == [422, 422, 422, 422, 422]
    assert flow.rows_after_forgeries == flow.rows_before_forgeries
    # The forged deauthorization (the grant still refreshes) and the forged deletes and update (one naming the
    # kept athlete, two naming the other athlete as the owner of the kept athlete's runs) changed nothing.
    names = _activity_names(flow.db.url)
    assert {i: names.get(i) for i in flow.kept_activities} == flow.kept_activities
    with _session(flow.db.url) as session:
        connection = session.get(StravaConnection, flow.kept_athlete)
        assert connection is not None
        assert connection.status == "active"
        assert connection.refresh_token_enc


def test_tokens_are_encrypted_at_rest(flow: Flow) -> None:
    dump = pg_dump(flow.db.name)
    # Not vacuous: the dump holds the connections, with Fernet ciphertexts, and the simulator issued tokens.
    assert "strava_connections" in dump
    assert "gAAAAA" in dump
    assert len(flow.issued) >= 8
    leaked = sorted(token for token in flow.issued if token in dump)
    assert leaked == [], f"{len(leaked)} token(s) issued by Strava appear in plain text in pg_dump"
    for secret in (flow.secrets.token_key, flow.secrets.client_secret, flow.secrets.verify_token):
        assert secret not in dump


def test_no_secret_or_token_in_any_log_line(flow: Flow) -> None:
    logs = {path.name: path.read_text(errors="replace") for path in sorted(flow.log_dir.glob("*.log"))}
    assert {"api.log", "worker0.log", "beat.log"} <= set(logs)
    # Not vacuous: the processes did log the OAuth callback, token refreshes and processed events.
    everything = "\n".join(logs.values())
    assert "/strava/callback" in everything
    assert "sync.token.refreshed" in everything
    assert "sync.event.processed" in everything
    secrets = {
        "client secret": flow.secrets.client_secret,
        "verify token": flow.secrets.verify_token,
        "Fernet key": flow.secrets.token_key,
        **{f"token {token[:6]}…": token for token in flow.issued},
    }
    found = [
        f"{name}: {what} (line {number})"
        for name, text in logs.items()
        for number, line in enumerate(text.splitlines(), 1)
        for what, secret in secrets.items()
        if secret in line
    ]
    assert found == []


def test_no_row_derived_from_a_deauthorized_athletes_data_remains(flow: Flow) -> None:
    needles = {str(i) for i in flow.purged_activities} | set(flow.purged_activities.values())
    needles |= {name for name in flow.purged_names if name}
    assert len(needles) >= 6  # three ids, three names, the athlete's names
    rows = table_rows_as_text(flow.db.url)
    found = [
        (table, needle)
        for table, texts in rows.items()
        for row in texts
        for needle in needles
        if needle in row
    ]
    assert found == []
    # ...while the athlete who stayed keeps everything (the scan itself can find things).
    kept = {str(i) for i in flow.kept_activities} | set(flow.kept_activities.values())
    assert all(any(k in row for row in rows["activities"]) for k in kept)
    with _session(flow.db.url) as session:
        connection = session.get(StravaConnection, flow.purged_athlete)
        assert connection is not None
        assert (connection.status, connection.access_token_enc, connection.refresh_token_enc) == (
            "revoked",
            None,
            None,
        )
