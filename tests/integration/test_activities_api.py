"""`POST /api/v1/athletes/{id}/activities` and `runsmart import`: files in, one run each, problems for bad
files that change nothing (docs/api.md, "Activity files"; docs/sources.md)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from composition.root import Container
from sources.files.synthetic import RunSpec, fit_file, gpx_file, tcx_file
from store.models import Activity, ActivityCopy
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from webhooks.app import create_app
from workers import runtime

pytestmark = pytest.mark.integration

KEY = "activities-api-key-0123456789"
URL = f"/api/v1/athletes/{ATHLETE_ID}/activities"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
RUN = RunSpec(start=START, elapsed_s=3000, distance_m=10_000, laps=2)
LIMIT = 512 * 1024


@pytest.fixture
def client(container: Container, tmp_path: Path) -> Iterator[TestClient]:
    connect_athlete(container)
    container.settings.api_keys = SecretStr(KEY)
    container.settings.import_files_dir = str(tmp_path / "files")
    container.settings.import_max_bytes = LIMIT
    served = create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True, api_docs=True)
    with TestClient(served, raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {KEY}"
        yield test_client


def upload(client: TestClient, data: bytes, *, url: str = URL, field: str = "file") -> Any:
    return client.post(url, files={field: ("run.bin", data, "application/octet-stream")})


def stored(container: Container) -> tuple[int, int, list[Path]]:
    with container.sessions() as session:
        runs = session.scalar(select(func.count()).select_from(Activity)) or 0
        copies = session.scalar(select(func.count()).select_from(ActivityCopy)) or 0
    folder = Path(container.settings.import_files_dir)
    return runs, copies, sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_file_is_imported_once_and_kept_for_parsing_again(client: TestClient, container: Container) -> None:
    first = upload(client, fit_file(RUN))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["outcome"], body["format"], body["sport_type"], body["elapsed_time_s"]) == (
        "imported",
        "fit",
        "Run",
        3000,
    )
    assert body["activity_id"] < 0
    again = upload(client, gzip.compress(fit_file(RUN)))
    assert again.status_code == 200
    assert (again.json()["outcome"], again.json()["activity_id"]) == ("already_imported", body["activity_id"])
    merged = upload(
        client, tcx_file(RunSpec(start=START + timedelta(seconds=40), elapsed_s=2980, distance_m=10_100))
    )
    assert (merged.status_code, merged.json()["outcome"]) == (201, "merged")
    runs, copies, files = stored(container)
    assert (runs, copies) == (1, 2)
    assert [p.name for p in files] == sorted([f"{body['sha256']}.fit", f"{merged.json()['sha256']}.tcx"])


def test_taking_a_file_back(client: TestClient, container: Container) -> None:
    sha = upload(client, gpx_file(RUN)).json()["sha256"]
    gone = client.delete(f"{URL}/files/{sha}")
    assert (gone.status_code, gone.json()) == (200, {"activity_id": None})
    assert stored(container) == (0, 0, [])
    assert client.delete(f"{URL}/files/{sha}").status_code == 404
    assert client.delete(f"{URL}/files/not-a-digest").status_code == 422


BOMB = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><gpx>&b;</gpx>'


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "file_empty"),
        (fit_file(RUN)[:-100], 422, "file_truncated"),
        (BOMB, 422, "file_hostile"),
        (gzip.compress(b"\x00" * (LIMIT * 40)), 413, "file_too_large"),
        (b"<kml/>", 415, "file_unsupported_format"),
        (fit_file(RunSpec(start=START, elapsed_s=60, distance_m=50_000)), 422, "file_implausible"),
    ],
)
def test_bad_files_are_problems_and_change_nothing(
    client: TestClient, container: Container, data: bytes, status: int, code: str
) -> None:
    response = upload(client, data)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert stored(container) == (0, 0, [])


def test_an_oversized_body_is_refused_before_it_is_read_whole(
    client: TestClient, container: Container
) -> None:
    response = upload(client, b"\x00" * (LIMIT * 3))
    assert (response.status_code, response.json()["code"]) == (413, "file_too_large")
    assert stored(container) == (0, 0, [])


def test_the_request_itself_must_be_an_upload_for_a_known_athlete(client: TestClient) -> None:
    assert client.post(URL, content=fit_file(RUN)).status_code == 415
    assert upload(client, fit_file(RUN), field="other").json()["code"] == "file_missing"
    assert upload(client, fit_file(RUN), url="/api/v1/athletes/424242/activities").status_code == 404
    assert (
        client.post(URL, files={"file": ("a", b"x")}, headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    malformed = client.post(
        URL, content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert malformed.status_code in (400, 422)


def test_runsmart_import_walks_folders_and_reports_refusals(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_athlete(container)
    container.settings.import_files_dir = str(tmp_path / "files")
    monkeypatch.setattr(runtime, "container", lambda: container)
    folder = tmp_path / "watch"
    (folder / "2026").mkdir(parents=True)
    (folder / "a.fit").write_bytes(fit_file(RUN))
    (folder / "2026" / "b.gpx.gz").write_bytes(gzip.compress(gpx_file(RUN)))  # the same run: merged
    (folder / "2026" / "c.tcx").write_bytes(
        tcx_file(RunSpec(start=START + timedelta(hours=9), elapsed_s=1800, distance_m=5000))
    )
    (folder / "broken.fit").write_bytes(b"\x0e\x10garbage.FIT")
    (folder / "notes.txt").write_text("not an activity")
    result = CliRunner().invoke(
        cli, ["import", str(folder), "--athlete", str(ATHLETE_ID)], terminal_width=200
    )
    assert result.exit_code == 1, result.output
    assert "4 files: 2 imported, 1 merged, 0 already imported, 1 refused" in result.output
    assert "broken.fit" in result.output
    assert stored(container)[:2] == (2, 3)
    again = CliRunner().invoke(cli, ["import", str(folder / "a.fit"), "--athlete", str(ATHLETE_ID)])
    assert again.exit_code == 0
    assert "1 already imported" in again.output
    unknown = CliRunner().invoke(cli, ["import", str(folder / "a.fit"), "--athlete", "424242"])
    assert unknown.exit_code == 1
    assert "athlete 424242 not found" in unknown.output


def test_a_run_first_seen_in_a_file_can_be_paired_and_unpaired_by_hand(
    client: TestClient, container: Container
) -> None:
    from tests.integration.test_plans_pipeline import current_plan, start_plan

    start_plan(container)  # last week's Monday, in Amsterdam
    workouts = current_plan(container).weeks[0].workouts
    at = datetime.combine(workouts[0].date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
    activity_id = upload(client, fit_file(RunSpec(start=at, elapsed_s=2400, distance_m=7000))).json()[
        "activity_id"
    ]
    assert activity_id < 0
    pair_url = f"/api/v1/athletes/{ATHLETE_ID}/plan/workouts/{workouts[1].id}/pair"
    paired = client.post(pair_url, json={"activity_id": activity_id})
    assert paired.status_code == 200, paired.text
    assert client.delete(f"{pair_url}/{activity_id}").status_code == 200
