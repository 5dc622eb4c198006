"""Importing activity files: bytes in; one run filed (merged with the same run from any source), the original
kept, and the plan adapted, all in the caller's transaction (docs/sources.md#importing-files).

A refused file changes nothing: it is unpacked, parsed and checked before the database or the folder of
originals is touched. Parsing happens before the athlete's row lock is taken, so a large file never holds up
that athlete's Strava events.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sources.base import ActivityCopyValues, Capability, PipelineHook
from sources.files.checks import checked, localized
from sources.files.fit import parse_fit
from sources.files.formats import FileFormat, unpack
from sources.files.gpx import parse_gpx
from sources.files.originals import Originals
from sources.files.tcx import parse_tcx
from sources.ledger import Ledger
from sources.merge import parse_priority
from store import repository, source_repository
from store.models import ActivitySource, CopyRole

log = logging.getLogger(__name__)

PARSERS: dict[FileFormat, Callable[[bytes], ActivityCopyValues]] = {
    FileFormat.FIT: parse_fit,
    FileFormat.GPX: parse_gpx,
    FileFormat.TCX: parse_tcx,
}
_COMMON = {Capability.HEART_RATE, Capability.DEVICE, Capability.ORIGINAL_FILE}
CAPABILITIES: dict[FileFormat, frozenset[Capability]] = {
    FileFormat.FIT: frozenset({*_COMMON, Capability.LAPS, Capability.LOCAL_TIME}),
    FileFormat.GPX: frozenset({*_COMMON, Capability.NAME}),
    FileFormat.TCX: frozenset({*_COMMON, Capability.LAPS}),
}


class FileOutcome(StrEnum):
    IMPORTED = "imported"  # a run we did not hold
    MERGED = "merged"  # the same run was held already (from Strava or another file): still one activity
    ALREADY_IMPORTED = "already_imported"  # this very file came before: nothing changed
    WITHDRAWN = "withdrawn"  # the file was taken back


class UnknownAthlete(LookupError):
    """Files belong to an athlete we know."""


@dataclass(frozen=True)
class ParsedFile:
    format: FileFormat
    content: bytes  # unpacked: what was parsed, and what is kept
    digest: str  # sha256 of `content`
    values: ActivityCopyValues


@dataclass(frozen=True)
class Imported:
    outcome: FileOutcome
    activity_id: int | None
    role: CopyRole | None
    file: ParsedFile


@dataclass(frozen=True)
class Withdrawn:
    activity_id: int | None  # the run that still holds the activity (another source has it), or None
    unused_original: (
        tuple[str, FileFormat] | None
    )  # no copy names the kept file any more: forget it after commit


class FileImporter:
    def __init__(
        self,
        ledger: Ledger,
        originals: Originals,
        *,
        max_bytes: int,
        effects: Sequence[PipelineHook] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ledger = ledger
        self.originals = originals
        self.max_bytes = max_bytes
        self._effects = tuple(effects)
        self._now = now

    def read(self, data: bytes) -> ParsedFile:
        """Unpack, parse and check a file; FileRefused when it cannot be stored. Touches nothing."""
        fmt, content = unpack(data, max_bytes=self.max_bytes)
        values = checked(PARSERS[fmt](content), now=self._now())
        return ParsedFile(fmt, content, hashlib.sha256(content).hexdigest(), values)

    def import_bytes(self, session: Session, athlete_id: int, data: bytes) -> Imported:
        return self.store(session, athlete_id, self.read(data))

    def store(self, session: Session, athlete_id: int, parsed: ParsedFile) -> Imported:
        """File a parsed file under its run and adapt the plan; the caller commits."""
        athlete = repository.lock_athlete(session, athlete_id)
        if athlete is None:
            raise UnknownAthlete(f"athlete {athlete_id} not found")
        source = parsed.format.source
        known = source_repository.find_copy(session, athlete_id, source, parsed.digest)
        if known is not None:
            return Imported(FileOutcome.ALREADY_IMPORTED, known.activity_id, CopyRole(known.role), parsed)
        values = localized(parsed.values, athlete.timezone)
        self.originals.keep(parsed.digest, parsed.format, parsed.content)
        # Strava's copies first, so that a run Strava holds is seen as such when the file is filed against it.
        self.ledger.sync_strava(session, athlete_id)
        filed = self.ledger.file(session, athlete_id, self._copy_columns(parsed, values))
        outcome = FileOutcome.IMPORTED if filed.copies == 1 else FileOutcome.MERGED
        self._adapt(session, athlete_id, outcome)
        log.info("sources.file_imported", extra={"athlete_id": athlete_id, "outcome": outcome})
        return Imported(outcome, filed.activity_id, filed.role, parsed)

    def withdraw(self, session: Session, athlete_id: int, digest: str) -> Withdrawn | None:
        """Take back the athlete's file with this sha256 (None: no such file); the caller commits, then
        calls `forget_unused`."""
        if repository.lock_athlete(session, athlete_id) is None:
            raise UnknownAthlete(f"athlete {athlete_id} not found")
        copy = source_repository.file_copy(session, athlete_id, digest)
        if copy is None:
            return None
        fmt = FileFormat(ActivitySource(copy.source).value.removeprefix("file_"))
        self.ledger.sync_strava(session, athlete_id)
        kept = self.ledger.withdraw(session, copy)
        self._adapt(session, athlete_id, FileOutcome.WITHDRAWN)
        unused = None if source_repository.digest_in_use(session, digest) else (digest, fmt)
        return Withdrawn(kept, unused)

    def forget_unused(self, withdrawn: Withdrawn) -> None:
        if withdrawn.unused_original is not None:
            self.originals.forget(*withdrawn.unused_original)

    def _adapt(self, session: Session, athlete_id: int, outcome: FileOutcome) -> None:
        for effect in self._effects:
            effect(session, athlete_id, outcome)

    def _copy_columns(self, parsed: ParsedFile, values: ActivityCopyValues) -> dict[str, Any]:
        return {
            **values.columns(),
            "source": parsed.format.source,
            "external_id": parsed.digest,
            "file_digest": parsed.digest,
            "file_bytes": len(parsed.content),
            "received_at": self._now(),
        }


class FileSource:
    """One file format as a source (sources.base.Source): ingests a file's bytes, withdraws by sha256."""

    def __init__(self, fmt: FileFormat, importer: FileImporter) -> None:
        self.kind = fmt.source
        self.capabilities = CAPABILITIES[fmt]
        self._importer = importer

    def ingest(self, session: Session, athlete_id: int, delivery: bytes) -> Imported:
        return self._importer.import_bytes(session, athlete_id, delivery)

    def withdraw(self, session: Session, athlete_id: int, external_id: str) -> int | None:
        withdrawn = self._importer.withdraw(session, athlete_id, external_id)
        return withdrawn.activity_id if withdrawn is not None else None


def importer_from_settings(settings: Any, effects: Sequence[PipelineHook]) -> FileImporter:
    """The importer as configured (runsmart/settings.py: import_files_dir, import_max_bytes,
    source_priority), adapting plans through `effects` (the container's plan pipeline)."""
    return FileImporter(
        Ledger(parse_priority(settings.source_priority)),
        Originals(Path(settings.import_files_dir)),
        max_bytes=settings.import_max_bytes,
        effects=effects,
    )
