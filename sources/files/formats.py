"""Which format a file is (by its content, never its name) and its bytes unpacked, within the size limit."""

from __future__ import annotations

import zlib
from enum import StrEnum

from sources.errors import FileRefused, Refusal
from sources.files.xml_guard import root_element
from store.models import ActivitySource

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class FileFormat(StrEnum):
    FIT = "fit"
    GPX = "gpx"
    TCX = "tcx"

    @property
    def source(self) -> ActivitySource:
        return ActivitySource(f"file_{self.value}")


# What `runsmart import FOLDER` picks up; an upload is judged by its content alone.
FILE_SUFFIXES = tuple(f".{fmt.value}{packed}" for fmt in FileFormat for packed in ("", ".gz"))
_XML_ROOTS = {"gpx": FileFormat.GPX, "TrainingCenterDatabase": FileFormat.TCX}


def unpack(data: bytes, *, max_bytes: int) -> tuple[FileFormat, bytes]:
    """The file's format and its content (a .gz unpacked). Refuses empty, oversized and unknown files."""
    if not data:
        raise FileRefused(Refusal.EMPTY, "the file is empty")
    if len(data) > max_bytes:
        raise FileRefused(Refusal.TOO_LARGE, f"the file is larger than {max_bytes} bytes")
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(data, max_bytes)
    if data.startswith(ZIP_MAGIC):
        raise FileRefused(Refusal.UNSUPPORTED, "zip archives are not accepted: send the activity file inside")
    if is_fit(data):
        return FileFormat.FIT, data
    root = root_element(data)
    found = _XML_ROOTS.get(root)
    if found is None:
        raise FileRefused(Refusal.UNSUPPORTED, "not a FIT, GPX or TCX activity file")
    return found, data


def is_fit(data: bytes) -> bool:
    # The FIT header: its size (12 or 14), then ".FIT" at bytes 8-11 (FIT protocol, "File Header").
    return len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT"


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """One gzip member, unpacked to at most `max_bytes`: a small file that unpacks to gigabytes (a
    compression bomb) is refused after `max_bytes + 1` bytes of work, never unpacked whole."""
    unpacker = zlib.decompressobj(wbits=31)
    try:
        out = unpacker.decompress(data, max_bytes + 1)
    except zlib.error:
        raise FileRefused(Refusal.CORRUPT, "the .gz file is damaged") from None
    if len(out) > max_bytes or unpacker.unconsumed_tail:
        raise FileRefused(Refusal.TOO_LARGE, f"the .gz file unpacks to more than {max_bytes} bytes")
    if not unpacker.eof:
        raise FileRefused(Refusal.TRUNCATED, "the .gz file is cut short")
    if unpacker.unused_data.strip(b"\x00"):
        raise FileRefused(Refusal.UNSUPPORTED, "the .gz file holds more than one file")
    if out.startswith(GZIP_MAGIC):
        raise FileRefused(Refusal.HOSTILE, "a .gz file inside a .gz file")
    return out
