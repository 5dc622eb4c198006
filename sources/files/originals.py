"""The original files, kept so they can be parsed again: content-addressed (sha256), one file per content,
written atomically and readable by this service's user only (a GPS track shows where the athlete lives)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sources.files.formats import FileFormat


class Originals:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, digest: str, fmt: FileFormat) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError("not a sha256 hex digest")  # never a path built from anything else
        return self.folder / digest[:2] / f"{digest}.{fmt.value}"

    def keep(self, digest: str, fmt: FileFormat, content: bytes) -> Path:
        """Store the content once; a second import of the same content finds it there."""
        target = self.path(digest, fmt)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)  # atomic: a reader sees the whole file or none
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def read(self, digest: str, fmt: FileFormat) -> bytes:
        return self.path(digest, fmt).read_bytes()

    def forget(self, digest: str, fmt: FileFormat) -> None:
        self.path(digest, fmt).unlink(missing_ok=True)
