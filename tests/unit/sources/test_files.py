"""Activity files: each format parsed to the same run; every kind of bad file refused before anything is
stored (docs/sources.md#refusals)."""

from __future__ import annotations

import gzip
import io
import stat
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sources.errors import FileRefused, Refusal
from sources.files.checks import localized
from sources.files.formats import FileFormat
from sources.files.importer import FileImporter, ParsedFile
from sources.files.originals import Originals
from sources.files.synthetic import RunSpec, activity_file, fit_file, gpx_file, tcx_file
from sources.ledger import Ledger

START = datetime(2026, 7, 21, 10, 12, tzinfo=UTC)
SPEC = RunSpec(start=START, elapsed_s=3010, distance_m=10_012.3, heart_rate=152, laps=3)
LIMIT = 2_000_000


def read(data: bytes, *, max_bytes: int = LIMIT, now: datetime = START + timedelta(days=1)) -> ParsedFile:
    return FileImporter(Ledger(), Originals(Path("/nonexistent")), max_bytes=max_bytes, now=lambda: now).read(
        data
    )


def refusal(data: bytes, **kwargs: object) -> Refusal:
    with pytest.raises(FileRefused) as refused:
        read(data, **kwargs)  # type: ignore[arg-type]
    assert refused.value.detail  # always a plain line for the person who sent it
    return refused.value.reason


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_every_format_gives_the_same_run(fmt: FileFormat) -> None:
    parsed = read(activity_file(SPEC, fmt))
    values = parsed.values
    assert parsed.format is fmt
    assert (values.sport_type, values.start, values.elapsed_time_s) == ("Run", START, 3010)
    assert values.distance_m == pytest.approx(10_012.3, rel=0.01)
    assert values.average_heartrate == pytest.approx(152)
    assert values.device
    if fmt is not FileFormat.GPX:  # a GPX track has no laps
        assert len(values.laps) == 3
        assert sum(lap.distance_m for lap in values.laps) == pytest.approx(10_012.3, rel=0.01)


def test_the_digest_names_the_content_so_a_gzipped_copy_is_the_same_file() -> None:
    plain = read(fit_file(SPEC))
    packed = read(gzip.compress(fit_file(SPEC)))
    assert plain.digest == packed.digest
    assert plain.content == packed.content


def test_fit_files_carry_the_devices_local_time_and_the_athletes_zone_is_named_when_it_agrees() -> None:
    values = read(fit_file(SPEC)).values  # the device was at UTC+2
    agreeing = localized(values, "Europe/Amsterdam")  # CEST in July: +2
    assert agreeing.start_local == datetime(2026, 7, 21, 12, 12)
    assert agreeing.timezone == "Europe/Amsterdam"
    travelling = localized(values, "America/New_York")
    assert travelling.start_local == datetime(2026, 7, 21, 12, 12)  # the device's offset wins
    assert travelling.timezone is None


def test_gpx_and_tcx_local_time_comes_from_the_athletes_zone() -> None:
    values = read(gpx_file(SPEC)).values
    assert localized(values, "America/New_York").start_local == datetime(2026, 7, 21, 6, 12)
    assert localized(values, None).start_local == datetime(2026, 7, 21, 10, 12)


def test_a_treadmill_run_is_marked_indoors() -> None:
    indoor = RunSpec(start=START, elapsed_s=1800, distance_m=5000, indoor=True)
    assert read(fit_file(indoor)).values.trainer
    assert read(tcx_file(indoor)).values.trainer


def test_empty_oversized_and_unknown_files_are_refused() -> None:
    assert refusal(b"") is Refusal.EMPTY
    assert refusal(fit_file(SPEC), max_bytes=1024) is Refusal.TOO_LARGE
    assert refusal(b"<kml><Document/></kml>") is Refusal.UNSUPPORTED
    assert refusal(b"\x00\x01 not an activity") is Refusal.CORRUPT
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("run.fit", fit_file(SPEC))
    assert refusal(archive.getvalue()) is Refusal.UNSUPPORTED


def test_a_truncated_fit_file_and_a_damaged_one_are_told_apart() -> None:
    data = fit_file(SPEC)
    assert refusal(data[: len(data) // 2]) is Refusal.TRUNCATED
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    assert refusal(bytes(damaged)) is Refusal.CORRUPT


def test_compression_bombs_and_nested_archives_are_refused_without_unpacking_them() -> None:
    bomb = gzip.compress(b"\x00" * (50 * LIMIT))  # ~100 MB of zeros in a ~100 kB file
    assert len(bomb) < LIMIT
    assert refusal(bomb) is Refusal.TOO_LARGE
    assert refusal(gzip.compress(gzip.compress(fit_file(SPEC)))) is Refusal.HOSTILE
    assert refusal(gzip.compress(fit_file(SPEC))[:-20]) in (Refusal.TRUNCATED, Refusal.CORRUPT)


@pytest.mark.parametrize(
    "document",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><gpx><trk><name>&c;</name></trk></gpx>',
        # an external entity reading a local file
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx>&x;</gpx>',
        # an external DTD
        b'<?xml version="1.0"?><!DOCTYPE TrainingCenterDatabase SYSTEM "http://127.0.0.1:9/x.dtd">'
        b"<TrainingCenterDatabase/>",
    ],
)
def test_xml_with_a_document_type_declaration_is_refused(document: bytes) -> None:
    assert refusal(document) is Refusal.HOSTILE
    assert refusal(gzip.compress(document)) is Refusal.HOSTILE


def test_a_gpx_that_floods_namespace_declarations_is_refused() -> None:
    flood = b"".join(b' xmlns:n%d="urn:x%d"' % (i, i) for i in range(200))
    assert refusal(b"<gpx" + flood + b"/>") is Refusal.HOSTILE


def test_routes_without_times_are_no_activity() -> None:
    route = gpx_file(SPEC).replace(b"<time>", b"<cmt>").replace(b"</time>", b"</cmt>")
    assert refusal(route) is Refusal.NO_ACTIVITY


@pytest.mark.parametrize("value", [b"NaN", b"inf", b"-12"])
def test_not_finite_or_negative_numbers_are_refused(value: bytes) -> None:
    document = tcx_file(SPEC).replace(
        b"<DistanceMeters>3337.4</DistanceMeters>", b"<DistanceMeters>" + value + b"</DistanceMeters>", 1
    )
    assert document != tcx_file(SPEC)
    assert refusal(document) in (Refusal.IMPLAUSIBLE, Refusal.CORRUPT)


def test_absurd_times_and_speeds_are_refused() -> None:
    assert refusal(fit_file(RunSpec(start=START, elapsed_s=600, distance_m=500_000))) is Refusal.IMPLAUSIBLE
    future = RunSpec(start=START + timedelta(days=30), elapsed_s=600, distance_m=2000)
    assert refusal(gpx_file(future)) is Refusal.IMPLAUSIBLE
    ancient = RunSpec(start=datetime(1985, 1, 1, tzinfo=UTC), elapsed_s=600, distance_m=2000)
    assert refusal(tcx_file(ancient)) is Refusal.IMPLAUSIBLE


def test_implausible_heart_rates_are_dropped_not_refused() -> None:
    values = read(fit_file(RunSpec(start=START, elapsed_s=600, distance_m=2000, heart_rate=251))).values
    assert values.average_heartrate is None


def test_originals_are_kept_once_privately_under_their_digest(tmp_path: Path) -> None:
    originals = Originals(tmp_path / "files")
    digest = "ab" * 32
    path = originals.keep(digest, FileFormat.FIT, b"first")
    assert originals.keep(digest, FileFormat.FIT, b"second") == path
    assert originals.read(digest, FileFormat.FIT) == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="sha256"):
        originals.path("../../etc/passwd", FileFormat.FIT)
    originals.forget(digest, FileFormat.FIT)
    assert not path.exists()
