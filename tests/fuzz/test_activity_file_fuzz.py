"""Hypothesis-mutated activity files against the real upload route and PostgreSQL: never a 5xx; a refused file
(4xx) changes nothing (no run, no copy, no kept file); an accepted one is stored with finite, plausible
numbers (docs/sources.md#refusals)."""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from composition.root import Container
from sources.files.checks import MAX_DISTANCE_M, MAX_ELAPSED_S
from sources.files.synthetic import RunSpec, fit_file, gpx_file, tcx_file
from store.models import Activity, ActivityCopy
from tests.fuzz.conftest import API_KEY, FUZZ
from tests.integration.conftest import ATHLETE_ID, connect_athlete

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

URL = f"/api/v1/athletes/{ATHLETE_ID}/activities"
LIMIT = 256 * 1024
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
SPEC = RunSpec(start=START, elapsed_s=600, distance_m=2000, laps=2, every_s=10)
SEEDS = [fit_file(SPEC), gpx_file(SPEC), tcx_file(SPEC)]
HOSTILE_NUMBERS = [
    b"NaN",
    b"nan",
    b"inf",
    b"-inf",
    b"1e400",
    b"-1",
    b"99999999999999999999",
    b"",
    b"0x10",
    b"1e-400",
]
BOMB_PROLOG = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
)


@pytest.fixture(scope="module")
def uploads(
    fuzz_container: Container, client: TestClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    fuzz_container.settings.import_files_dir = str(tmp_path_factory.mktemp("files"))
    fuzz_container.settings.import_max_bytes = LIMIT
    connect_athlete(fuzz_container)
    client.headers["Authorization"] = f"Bearer {API_KEY}"
    return client


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "number", "bomb", "gzip", "noise", "none"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "insert":
        position = draw(st.integers(0, len(data)))
        data[position:position] = draw(st.binary(min_size=1, max_size=64))
    elif kind == "number":
        numbers = list(re.finditer(rb">-?\d+(\.\d+)?<", bytes(data)))
        if numbers:
            found = draw(st.sampled_from(numbers))
            data[found.start() + 1 : found.end() - 1] = draw(st.sampled_from(HOSTILE_NUMBERS))
    elif kind == "bomb":
        data = bytearray(BOMB_PROLOG + bytes(data).split(b"?>", 1)[-1])
    elif kind == "gzip":
        data = bytearray(gzip.compress(bytes(data)))
    elif kind == "noise":
        data = bytearray(draw(st.binary(max_size=2048)))
    return bytes(data)


def snapshot(container: Container) -> tuple[list[tuple[int, float, int]], int, list[str]]:
    with container.sessions() as session:
        runs = [
            (a.id, a.distance_m, a.elapsed_time_s)
            for a in session.scalars(select(Activity).order_by(Activity.id))
        ]
        copies = len(session.scalars(select(ActivityCopy.id)).all())
    folder = Path(container.settings.import_files_dir)
    return runs, copies, sorted(p.name for p in folder.rglob("*") if p.is_file())


@FUZZ
@given(data=mutated_files())
@example(data=BOMB_PROLOG + b"<gpx>&b;</gpx>")
@example(data=gzip.compress(b"\x00" * (LIMIT * 50)))
@example(data=SEEDS[0][:-1])
def test_mutated_files_never_break_the_api_and_refusals_change_nothing(
    uploads: TestClient, fuzz_container: Container, data: bytes
) -> None:
    before = snapshot(fuzz_container)
    response = uploads.post(URL, files={"file": ("upload", data, "application/octet-stream")})
    assert response.status_code < 500, response.text
    after = snapshot(fuzz_container)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"].startswith("file_")
        assert after == before
        return
    assert response.status_code in (200, 201)
    body = response.json()
    assert math.isfinite(body["distance_m"])
    assert 0 <= body["distance_m"] <= MAX_DISTANCE_M
    assert 0 < body["elapsed_time_s"] <= MAX_ELAPSED_S
    for _, distance, elapsed in after[0]:
        assert math.isfinite(distance)
        assert 0 < elapsed <= MAX_ELAPSED_S
