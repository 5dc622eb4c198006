"""Hypothesis-generated webhook bodies against the real app and PostgreSQL: never a 5xx, and a body is stored
if and only if it is a well-formed Strava event for our subscription (docs/strava.md, "Webhooks")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import strategies as st

from composition.root import Container
from tests.fuzz.conftest import FUZZ, SUBSCRIPTION_ID, event_rows

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

BIGINT_MAX = 2**63 - 1
FIELDS = ("object_type", "object_id", "aspect_type", "owner_id", "subscription_id", "event_time", "updates")
MISSING = object()

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
garbage = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
huge = st.integers(min_value=BIGINT_MAX + 1, max_value=2**200) | st.integers(max_value=0, min_value=-(2**70))
ids = st.integers(min_value=1, max_value=BIGINT_MAX)
update_keys = st.sampled_from(["title", "type", "private", "authorized"]) | st.text(max_size=12)
update_values = (
    st.sampled_from(["true", "false", "Ride", "Run", "Messy"])
    | st.text(max_size=40)
    | st.booleans()
    | garbage
)
valid_field = {
    "object_type": st.sampled_from(["activity", "athlete"]),
    "object_id": ids,
    "aspect_type": st.sampled_from(["create", "update", "delete"]),
    "owner_id": ids,
    "subscription_id": st.sampled_from([SUBSCRIPTION_ID, SUBSCRIPTION_ID, SUBSCRIPTION_ID + 1]),
    "event_time": ids,
    "updates": st.dictionaries(update_keys, update_values, max_size=5) | st.none(),
}
hostile_field = {
    name: garbage | huge | st.just(str(SUBSCRIPTION_ID)) | st.just(MISSING) for name in valid_field
}


@st.composite
def event_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in FIELDS:
        # Mostly valid, so that the deeper checks (subscription, storage) are reached too.
        value = draw(st.one_of(valid_field[name], valid_field[name], valid_field[name], hostile_field[name]))
        if value is not MISSING:
            body[name] = value
    body.update(draw(st.dictionaries(st.text(max_size=10), garbage, max_size=3)))
    return body


def _strict_int(value: object) -> bool:
    return type(value) is int and 1 <= value <= BIGINT_MAX


def must_accept(body: object) -> bool:
    """Documented shape, our subscription, values PostgreSQL can hold."""
    if not isinstance(body, dict):
        return False
    updates = body.get("updates", {})
    return (
        body.get("object_type") in ("activity", "athlete")
        and body.get("aspect_type") in ("create", "update", "delete")
        and all(_strict_int(body.get(n)) for n in ("object_id", "owner_id", "event_time"))
        and body.get("subscription_id") == SUBSCRIPTION_ID
        and type(body.get("subscription_id")) is int
        and (updates is None or isinstance(updates, dict))
        and len(updates or {}) <= 16
        and all(isinstance(v, str | bool) for v in (updates or {}).values())
        and "\x00" not in json.dumps(updates)
        and "\\u0000" not in json.dumps(updates)
    )


def may_accept(body: object) -> bool:
    # Like must_accept, but a NUL character in `updates` may be refused (PostgreSQL text cannot hold it).
    if not isinstance(body, dict) or not isinstance(body.get("updates", {}) or {}, dict):
        return False
    cleaned = {**body, "updates": {k: v for k, v in (body.get("updates") or {}).items() if "\x00" not in k}}
    cleaned["updates"] = {
        k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in cleaned["updates"].items()
    }
    return must_accept(cleaned) and len(cleaned["updates"]) == len(body.get("updates") or {})


def check(client: TestClient, container: Container, content: bytes, body: object) -> None:
    before = event_rows(container)
    response = client.post("/webhooks/strava", content=content, headers={"content-type": "application/json"})
    after = event_rows(container)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert may_accept(body), f"accepted an invalid event: {body!r}"
        assert after - before == (1 if response.json()["status"] == "accepted" else 0)
    else:
        assert after == before, "a refused body left a row"
        assert not must_accept(body), f"refused a valid event ({response.status_code}): {response.text}"


@FUZZ
@given(body=event_bodies())
@example(body={"object_type": "activity", "object_id": 2**63, "aspect_type": "create", "owner_id": 1,
               "subscription_id": SUBSCRIPTION_ID, "event_time": 1})  # fmt: skip
@example(body={"object_type": "activity", "object_id": True, "aspect_type": "create", "owner_id": 1,
               "subscription_id": SUBSCRIPTION_ID, "event_time": 1})  # fmt: skip
@example(body={"object_type": "activity", "object_id": 5, "aspect_type": "update", "owner_id": 1,
               "subscription_id": SUBSCRIPTION_ID, "event_time": 1, "updates": {"title": "a\x00b"}})  # fmt: skip
def test_event_bodies(client: TestClient, fuzz_container: Container, body: dict[str, Any]) -> None:
    check(client, fuzz_container, json.dumps(body).encode(), body)


@FUZZ
@given(
    payload=st.one_of(
        st.binary(max_size=300),
        garbage.map(lambda value: json.dumps(value).encode()),
        st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.binary(min_size=1, max_size=40).map(lambda b: b'{"object_type": "' + b + b'"}'),
        st.integers(min_value=64 * 1024 - 10, max_value=300 * 1024).map(
            lambda n: b'{"updates": {"title": "' + b"x" * n + b'"}}'
        ),
    )
)
def test_raw_payloads(client: TestClient, fuzz_container: Container, payload: bytes) -> None:
    try:
        body: object = json.loads(payload)
    except ValueError:
        body = None
    check(client, fuzz_container, payload, body)
