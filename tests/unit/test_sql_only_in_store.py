"""ARCHITECTURE.md, "Who owns what": all SQL lives in store/. This scan fails when a production package outside
store/ builds a query: imports SQLAlchemy's query constructs (select, update, text, func, a dialect's insert ...)
or runs one on a session or connection (`session.execute`, `.scalars`, `.scalar`, `.query`, `session.get`).

Services call the named functions of store/'s repository modules instead. What still does it is listed below
with its reason; an entry that no longer matches anything must be removed, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "jobs",
    "notify",
    "sync",
    "workers",
    "webhooks",
    "plans",
    "runsmart",
    "composition",
    "cli",
    "sources",
)

# Names whose import from sqlalchemy means building a statement (the ORM's Session, events and exceptions are fine).
QUERY_CONSTRUCTS = frozenset(
    {
        "select", "update", "delete", "insert", "text", "func", "bindparam", "and_", "or_", "not_", "exists",
        "case", "literal", "literal_column", "tuple_", "null", "true", "false", "union", "union_all", "column",
        "table", "values", "join", "outerjoin", "Select", "Update", "Delete", "Insert", "TextClause",
    }
)  # fmt: skip
# Calls that send a statement: on anything named like a session or a connection.
EXECUTING_METHODS = frozenset({"execute", "scalars", "scalar", "query", "get"})
RECEIVER_NAMES = ("session", "conn", "connection")

# Files another change is rewriting right now: any finding in them is tolerated until it lands.
IN_PROGRESS: tuple[str, ...] = ()
# What remains elsewhere, exactly, and why. Each entry must still match (no stale allowances).
REMAINING: dict[str, set[str]] = {
    # The readiness probe's `SELECT 1` on a raw connection of the engine.
    "webhooks/app.py": {"imports text", "conn.execute()"},
}


def _receiver(node: ast.expr) -> str | None:
    """`session` for `session.x`, `uow.session.x` or `self._session.x`; None for anything else."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    if name is None:
        return None
    bare = name.lstrip("_")
    return bare if bare in RECEIVER_NAMES else None


def findings(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            module = node.module or ""
            for alias in node.names:
                if alias.name in QUERY_CONSTRUCTS or module.startswith("sqlalchemy.dialects"):
                    found.add(f"imports {alias.name}")
        elif isinstance(node, ast.Import):
            found.update(f"imports {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = _receiver(node.func.value)
            if receiver is not None and node.func.attr in EXECUTING_METHODS:
                found.add(f"{receiver}.{node.func.attr}()")
    return found


def production_findings() -> dict[str, set[str]]:
    result = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found = findings(path.read_text(encoding="utf-8"))
            if found:
                result[path.relative_to(ROOT).as_posix()] = found
    return result


def test_no_query_construction_outside_store() -> None:
    unexpected = {
        path: found - REMAINING.get(path, set())
        for path, found in production_findings().items()
        if not path.startswith(IN_PROGRESS)
    }
    unexpected = {path: found for path, found in unexpected.items() if found}
    assert not unexpected, f"SQL outside store/ (move it into a repository function): {unexpected}"


def test_the_list_of_what_remains_is_not_stale() -> None:
    found = production_findings()
    stale = {path: allowed - found.get(path, set()) for path, allowed in REMAINING.items()}
    stale = {path: gone for path, gone in stale.items() if gone}
    assert not stale, f"no longer there, remove from REMAINING: {stale}"


def test_the_scan_sees_each_kind_of_query() -> None:
    source = """
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.exc import OperationalError
import sqlalchemy as sa

def f(session, uow, self, conn):
    session.execute(select(1))
    uow.session.scalars(text("x"))
    self._session.get(object, 1)
    conn.scalar(1)
    session.add(object())
    cache.get("key")
"""
    assert findings(source) == {
        "imports select",
        "imports text",
        "imports insert",
        "imports sqlalchemy",
        "session.execute()",
        "session.scalars()",
        "session.get()",
        "conn.scalar()",
    }
