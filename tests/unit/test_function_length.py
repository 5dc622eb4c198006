"""A code habit of the project: no production function over 80 lines; a long one is split into named steps.

The length counted is from the `def` line to the function's last line (its docstring, comments and blank lines
included, decorators not); nested functions are counted on their own too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "runsmart",
    "store",
    "sync",
    "planner",
    "workers",
    "webhooks",
    "simulator",
    "notify",
    "jobs",
    "plans",
    "sources",
)
MAX_LINES = 80
# Alembic revisions are left out: each is one declarative list of schema operations, and a revision that has
# shipped is never edited (a database that ran it would not run it again).
SKIPPED = ("store/migrations/",)


def too_long(source: str, limit: int = MAX_LINES) -> list[tuple[str, int, int]]:
    """(name, first line, lines) of every function in ``source`` longer than ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                found.append((node.name, node.lineno, lines))
    return found


def production_files() -> list[Path]:
    return sorted(
        p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if not p.relative_to(ROOT).as_posix().startswith(SKIPPED)
    )


def test_the_scan_finds_a_long_function_and_passes_a_short_one() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    assert too_long(f"def long():\n{body}") == [("long", 1, MAX_LINES + 1)]
    assert too_long(f"def short():\n{body[: body.rindex('    x')]}") == []
    nested = f"class C:\n    async def method(self):\n{''.join('    ' + line + chr(10) for line in body.splitlines())}"
    assert too_long(nested) == [("method", 2, MAX_LINES + 1)]


def test_every_package_is_scanned() -> None:
    files = production_files()
    assert {p.relative_to(ROOT).parts[0] for p in files} == set(PACKAGES)


def test_no_production_function_is_over_80_lines() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name} ({lines} lines)"
        for path in production_files()
        for name, line, lines in too_long(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "split into named steps (at most 80 lines each):\n" + "\n".join(offenders)
