"""`runsmart import PATH... --athlete ID`: activity files (FIT, GPX, TCX, or gzipped) from files and folders.

Each file is its own transaction: a refused file changes nothing and the others go on; the command ends with
a summary and exit status 1 when any file was refused (docs/sources.md#importing-files).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cli.errors import CommandError

console = Console(stderr=True)


def import_command(
    paths: list[Path] = typer.Argument(
        ..., help="Activity files, or folders searched for them (recursively)."
    ),
    athlete: int = typer.Option(
        ..., "--athlete", help="The athlete's id (as `runsmart athletes list` shows)."
    ),
) -> None:
    """Import activity files: each run merges with the same run from Strava or another file."""
    from sources.files.importer import importer_from_settings
    from workers.runtime import container

    files = list(activity_files(paths))
    if not files:
        raise CommandError("no activity files (.fit, .gpx, .tcx, or .gz of them) in the paths given")
    c = container()
    importer = importer_from_settings(c.settings, [c.plans])
    counts: Counter[str] = Counter()
    refused: list[tuple[Path, str]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("importing", total=len(files))
        for path in files:
            progress.update(task, description=_short(path))
            outcome = _import_one(c, importer, athlete, path)
            if outcome.startswith("refused: "):
                refused.append((path, outcome.removeprefix("refused: ")))
                outcome = "refused"
            counts[outcome] += 1
            progress.advance(task)
    for path, reason in refused:
        # Plain, unwrapped lines: a long path must stay one line a script can read back.
        typer.echo(f"refused {path}: {reason}", err=True)
    summary = ", ".join(
        f"{counts[k]} {k.replace('_', ' ')}" for k in ("imported", "merged", "already_imported", "refused")
    )
    typer.echo(f"{len(files)} files: {summary}")
    if refused:
        raise typer.Exit(1)


def activity_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named are taken as they are (their content decides); folders give the activity files below them,
    in name order, without following links to other folders."""
    from sources.files.formats import FILE_SUFFIXES

    for path in paths:
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(FILE_SUFFIXES))
            yield from sorted(found)
        elif path.is_file():
            yield path
        else:
            raise CommandError(f"{path}: no such file or folder")


def _import_one(c, importer, athlete: int, path: Path) -> str:  # type: ignore[no-untyped-def]
    """The outcome's name, or "refused: <why>"."""
    from sources.errors import FileRefused
    from sources.files.importer import UnknownAthlete
    from store.db import UnitOfWork

    try:
        if path.stat().st_size > importer.max_bytes:  # never read a file we would refuse anyway
            return f"refused: the file is larger than {importer.max_bytes} bytes"
        parsed = importer.read(path.read_bytes())
    except FileRefused as why:
        return f"refused: {why.detail}"
    except OSError as error:
        return f"refused: cannot read it ({error.strerror or type(error).__name__})"
    with UnitOfWork(c.sessions) as uow:
        try:
            imported = importer.store(uow.session, athlete, parsed)
        except UnknownAthlete:
            raise CommandError(f"athlete {athlete} not found (see `runsmart athletes list`)") from None
        uow.commit()
    return str(imported.outcome.value)


def _short(path: Path, width: int = 40) -> str:
    name = str(path)
    return name if len(name) <= width else "…" + name[-(width - 1) :]
