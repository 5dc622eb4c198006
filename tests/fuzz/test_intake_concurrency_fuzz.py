"""Hostile bodies mixed into concurrent valid traffic, against the real app on PostgreSQL: every valid event is
answered 200 and stored, every hostile one is refused with a 4xx and stores nothing, whatever group-commit batch
they end up sharing (webhooks/intake.py)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from composition.root import Container
from store.models import StravaEvent
from tests.fuzz.conftest import EXAMPLES, FUZZ, SUBSCRIPTION_ID

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

BIGINT_MAX = 2**63 - 1
HOSTILE_IDS = (
    2**62
)  # hostile events use object ids from here up, valid ones below: a stored row is attributable

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
unstorable_text = st.tuples(st.text(max_size=8), surrogates | st.just("\x00"), st.text(max_size=8)).map(
    "".join
)


def event(object_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "aspect_type": "update",
        "event_time": 1_700_000_000,
        "object_id": object_id,
        "object_type": "activity",
        "owner_id": 134815,
        "subscription_id": SUBSCRIPTION_ID,
        "updates": {"title": "Morning Run"},
        **fields,
    }


def encoded(body: dict[str, Any]) -> bytes:
    # json.dumps writes a lone surrogate as its \\uXXXX escape and NaN as a bare token, as a hostile sender would.
    return json.dumps(body).encode()


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    object_id = draw(st.integers(min_value=HOSTILE_IDS, max_value=BIGINT_MAX))
    kind = draw(st.sampled_from(["value", "key", "nan", "nesting", "bigint", "long", "subscription"]))
    if kind == "value":
        return encoded(event(object_id, updates={"title": draw(unstorable_text)}))
    if kind == "key":
        return encoded(event(object_id, updates={draw(unstorable_text): "x"}))
    if kind == "nan":
        field = draw(st.sampled_from(["event_time", "owner_id", "extra"]))
        return encoded(event(object_id, **{field: draw(st.sampled_from([float("nan"), float("inf")]))}))
    if kind == "nesting":
        depth = draw(st.integers(min_value=2_000, max_value=30_000))
        return encoded(event(object_id))[:-1] + b', "extra": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == "bigint":
        field = draw(st.sampled_from(["event_time", "owner_id", "subscription_id"]))
        return encoded(
            event(object_id, **{field: draw(st.integers(min_value=BIGINT_MAX + 1, max_value=2**80))})
        )
    if kind == "long":
        return encoded(event(object_id, updates={"title": "x" * draw(st.integers(4097, 20_000))}))
    wrong = draw(st.integers(min_value=1, max_value=BIGINT_MAX).filter(lambda s: s != SUBSCRIPTION_ID))
    return encoded(event(object_id, subscription_id=wrong))


valid_bodies = st.builds(
    lambda object_id, title, aspect: event(object_id, aspect_type=aspect, updates={"title": title}),
    st.integers(min_value=1, max_value=HOSTILE_IDS - 1),
    st.text(st.characters(exclude_characters="\x00"), max_size=30),  # no surrogates by default: storable
    st.sampled_from(["create", "update", "delete"]),
)


def stored(container: Container, body: dict[str, Any]) -> bool:
    with container.sessions() as session:
        found = session.scalars(
            select(StravaEvent.updates).where(
                StravaEvent.object_id == body["object_id"],
                StravaEvent.aspect_type == body["aspect_type"],
                StravaEvent.event_time == body["event_time"],
            )
        ).all()
    return body["updates"] in found


def hostile_rows(container: Container) -> int:
    with container.sessions() as session:
        return len(session.scalars(select(StravaEvent.id).where(StravaEvent.object_id >= HOSTILE_IDS)).all())


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(
    valid=st.lists(valid_bodies, min_size=1, max_size=24),
    hostile=st.lists(hostile_bodies(), min_size=1, max_size=8),
    order=st.randoms(use_true_random=False),
)
def test_hostile_bodies_never_cost_a_valid_event(
    client: TestClient,
    fuzz_container: Container,
    valid: list[dict[str, Any]],
    hostile: list[bytes],
    order: Any,
) -> None:
    requests = [(encoded(body), body) for body in valid] + [(body, None) for body in hostile]
    order.shuffle(requests)

    def send(request: tuple[bytes, dict[str, Any] | None]) -> tuple[int, str]:
        content, _ = request
        response = client.post(
            "/webhooks/strava", content=content, headers={"content-type": "application/json"}
        )
        return response.status_code, response.text

    with ThreadPoolExecutor(8) as pool:  # concurrent, so that batches mix valid and hostile events
        answers = list(pool.map(send, requests))
    for (content, body), (status, text) in zip(requests, answers, strict=True):
        if body is None:
            assert 400 <= status < 500, (status, text, content[:300])
        else:
            assert status == 200, (status, text, body)
            assert stored(fuzz_container, body), body
    assert hostile_rows(fuzz_container) == 0
