"""Activity files through the internal API (docs/api.md, "Activity files"; docs/sources.md): FIT, GPX or TCX
(or any of them gzipped) as a multipart upload, API key as for every /api/v1 route.
The athlete is any we know: connected through Strava, or made without Strava by `POST /api/v1/athletes`
(a negative id, docs/sources.md#file-only-athletes).

One request is one transaction: the run is filed (merged with the same run from Strava or another file), its
original kept and the plan adapted together, or nothing happens. A refused file is answered with a problem
naming why (413 too large, 415 not an activity file, 422 corrupt, truncated, hostile or implausible) before
the database or the folder of originals is touched. The body is read against the size limit as it arrives,
so an oversized upload is refused without being held whole.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from composition.root import Container
from sources.errors import FileRefused, Refusal
from store.db import UnitOfWork
from webhooks.api_deps import Deps, key_router
from webhooks.errors import ApiError, responses
from webhooks.schemas import AthleteId

if TYPE_CHECKING:
    from sources.files.importer import FileImporter, Imported

# sources.files (the parsers' modules, defusedxml) is imported by the handlers, not here: the API process loads
# it only once a file arrives (ARCHITECTURE.md, "The API process stays small").

# An upload's own refusals, beside the errors every athlete route answers (the router's).
UPLOAD_ERRORS = responses(
    {
        400: "the multipart body is malformed",
        413: "the file (or what it unpacks to) is larger than RUNSMART_IMPORT_MAX_BYTES",
        415: "not multipart/form-data, or not a FIT, GPX or TCX activity file",
        422: "corrupt, truncated, hostile or implausible file, or no file in the field `file`; nothing changed",
    }
)
STATUS_BY_REFUSAL = {Refusal.TOO_LARGE: 413, Refusal.UNSUPPORTED: 415}
# Room for the multipart framing around the file (boundaries, part headers, a short file name).
MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a FIT, GPX or TCX activity file, or one of them gzipped (.gz)",
                        }
                    },
                }
            }
        },
    }
}
Sha256 = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="the sha256 the import answered")]

router = key_router("/api/v1/athletes/{athlete_id}/activities", "activities")


class ImportedOut(BaseModel):
    outcome: Literal["imported", "merged", "already_imported"] = Field(
        description="imported: a run we did not hold; merged: the same run was held already (from Strava or "
        "another file) and is still one activity; already_imported: this very file came before"
    )
    activity_id: int | None = Field(
        description="the run's id: Strava's when Strava holds the run, negative for a run first seen in a file"
    )
    sha256: str = Field(description="the file's content digest: names the file to take it back")
    format: Literal["fit", "gpx", "tcx"]
    sport_type: str
    start_date: datetime
    elapsed_time_s: int
    distance_m: float


class WithdrawnOut(BaseModel):
    activity_id: int | None = Field(
        description="the run that still holds the activity because another source has it; null: it is gone"
    )


class _TooLarge(Exception):
    pass


@router.post(
    "",
    status_code=201,
    response_model=ImportedOut,
    operation_id="import_activity_file",
    summary="Import an activity file (FIT, GPX, TCX)",
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"model": ImportedOut, "description": "this very file was imported before: nothing changed"},
        **UPLOAD_ERRORS,
    },
)
async def import_activity_file(
    athlete_id: AthleteId, request: Request, response: Response, c: Deps
) -> ImportedOut:
    from sources.files.importer import FileOutcome, importer_from_settings

    importer = importer_from_settings(c.settings, [c.plans])
    data = await _uploaded_file(request, importer.max_bytes)
    # Parsing and the database are blocking work: off the event loop, like the other /api/v1 routes.
    imported = await run_in_threadpool(_import, c, importer, athlete_id, data)
    if imported.outcome is FileOutcome.ALREADY_IMPORTED:
        response.status_code = 200
    values = imported.file.values
    return ImportedOut(
        outcome=imported.outcome.value,  # type: ignore[arg-type]
        activity_id=imported.activity_id,
        sha256=imported.file.digest,
        format=imported.file.format.value,  # type: ignore[arg-type]
        sport_type=values.sport_type,
        start_date=values.start,
        elapsed_time_s=values.elapsed_time_s,
        distance_m=values.distance_m,
    )


@router.delete(
    "/files/{sha256}",
    response_model=WithdrawnOut,
    operation_id="withdraw_activity_file",
    summary="Take back an imported file; the run stays while another source has it",
    responses=responses({404: "unknown athlete, or no file with that sha256"}),
)
def withdraw_activity_file(athlete_id: AthleteId, sha256: Sha256, c: Deps) -> WithdrawnOut:
    from sources.files.importer import UnknownAthlete, importer_from_settings

    importer = importer_from_settings(c.settings, [c.plans])
    with UnitOfWork(c.sessions) as uow:
        try:
            withdrawn = importer.withdraw(uow.session, athlete_id, sha256)
        except UnknownAthlete as error:
            raise ApiError(404, str(error)) from None
        if withdrawn is None:
            raise ApiError(404, f"athlete {athlete_id} has no file {sha256}", code="file_not_found")
        uow.commit()
    importer.forget_unused(withdrawn)
    return WithdrawnOut(activity_id=withdrawn.activity_id)


def _import(c: Container, importer: FileImporter, athlete_id: int, data: bytes) -> Imported:
    from sources.files.importer import UnknownAthlete

    try:
        parsed = importer.read(data)
    except FileRefused as refused:
        status = STATUS_BY_REFUSAL.get(refused.reason, 422)
        raise ApiError(status, refused.detail, code=f"file_{refused.reason.value}") from None
    with UnitOfWork(c.sessions) as uow:
        try:
            imported = importer.store(uow.session, athlete_id, parsed)
        except UnknownAthlete as error:
            raise ApiError(404, str(error)) from None
        uow.commit()
    return imported


async def _uploaded_file(request: Request, max_bytes: int) -> bytes:
    """The bytes of the form's `file` field, read against the size limit as the body arrives."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError(415, "send the file as multipart/form-data, in a field named file")
    budget = max_bytes + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget:
        raise _too_large(max_bytes)
    parser = MultiPartParser(
        request.headers, _capped(request.stream(), budget), max_files=1, max_fields=8, max_part_size=1024
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        raise _too_large(max_bytes) from None
    except (MultiPartException, KeyError, ValueError) as error:
        raise ApiError(400, f"the multipart body is malformed: {error}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "no file in the form field named file", code="file_missing")
        return await upload.read()
    finally:
        await form.close()


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        yield chunk


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, f"the file is larger than {max_bytes} bytes", code="file_too_large")
