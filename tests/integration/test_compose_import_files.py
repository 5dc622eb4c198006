"""The kept originals of imported activity files in the production shape (docs/operations.md, Backups): one
named volume at RUNSMART_IMPORT_FILES_DIR, shared by the api (which stores uploads) and the workers, and a
folder in the image that the service's user owns, so a new volume mounted there is theirs to write."""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath

import pytest

from tests.integration.test_image_fileset import ROOT, compose

pytestmark = pytest.mark.integration


def files_dir() -> str:
    environment = compose()["x-app"]["environment"]  # type: ignore[index]
    folder = str(environment["RUNSMART_IMPORT_FILES_DIR"])
    assert PurePosixPath(folder).is_absolute(), folder  # never relative to whatever the working directory is
    return folder


def mounts(service: str) -> dict[str, str]:
    """target folder → named volume, of the service's `volumes:` (short syntax)."""
    services = compose()["services"]
    assert isinstance(services, dict)
    found = {}
    for entry in services[service].get("volumes", []):
        source, target = str(entry).split(":")[:2]
        found[target] = source
    return found


def test_the_api_and_the_workers_share_one_named_volume_at_the_files_folder() -> None:
    folder = files_dir()
    volumes = compose()["volumes"]
    assert isinstance(volumes, dict)
    used = {mounts(service).get(folder) for service in ("api", "worker")}
    assert len(used) == 1, used  # the same volume: a file the api stored is there for the workers
    [volume] = used
    assert volume in volumes  # named (declared at the top level), not a path on the host or a throwaway


def runtime_stage() -> list[tuple[str, str]]:
    """(keyword, arguments) of the Dockerfile's last stage, the image that runs."""
    stages: list[list[tuple[str, str]]] = []
    for line in re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text()).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), rest.strip()))
    return stages[-1]


def test_the_image_gives_the_files_folder_to_the_user_the_services_run_as() -> None:
    folder = files_dir()
    stage = runtime_stage()
    users = [rest for keyword, rest in stage if keyword == "USER"]
    assert users, "the image runs as root"
    user = users[-1].split(":")[0]
    owned_by_user = False
    for index, (keyword, rest) in enumerate(stage):
        if keyword != "RUN" or folder not in rest:
            continue
        words = shlex.split(rest)
        made = "install" in words and "-o" in words and words[words.index("-o") + 1] == user
        chowned = "chown" in words and words[words.index("chown") + 1].split(":")[0] == user
        before_user = all(k != "USER" for k, _ in stage[:index])  # RUN as root: it may give the folder away
        owned_by_user = owned_by_user or ((made or chowned) and before_user)
    assert owned_by_user, f"no RUN of the runtime stage makes {folder} {user}'s"
