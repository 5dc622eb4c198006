"""ARCHITECTURE.md must stay true to the code.

The trace ("One event, from HTTP to a pushed plan change") is checked row by row: the file exists, the function
is defined in it, the function it hands off to is defined, the call-site code appears in the function's source,
and that code (or the start-up code named as "wired in") names what it hands off to. The trace stays within 12
files. Elsewhere on the page, every backticked path and every dotted name of ours must exist, and the layers
listed must be pyproject.toml's import-linter layers. The checks are read from the source with `ast`: nothing
is imported, so the test is as cheap as a lint.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "ARCHITECTURE.md"
TRACE_HEADING = "## One event, from HTTP to a pushed plan change"
LAYERS_HEADING = "## Layers"
MAX_TRACE_FILES = 12
NONE = "—"

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DOTTED = re.compile(r"[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_PATH = re.compile(r"[\w.-]+(/[\w.-]+)*(/|\.py|\.md|\.toml|\.yml)")
_QUOTED = re.compile(r'"([\w.]+)"')


def _pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


PACKAGES = frozenset(_pyproject()["tool"]["importlinter"]["root_packages"])


@dataclass(frozen=True)
class Definition:
    name: str  # dotted, as written in the doc
    path: Path
    chain: tuple[Def, ...]  # the nested definitions, outermost first
    source: str  # the definition's own source text

    @property
    def key(self) -> str:
        """The name a call site or a wiring must show: the class of a `__call__`, the outermost function of a
        nested one (a listener inside `install`), else the definition's own name."""
        node, outer = self.chain[-1], self.chain[0]
        if node.name == "__call__" and len(self.chain) > 1:
            return self.chain[-2].name
        if len(self.chain) > 1 and isinstance(outer, _FUNCTIONS):
            return outer.name
        return node.name

    def task_names(self) -> set[str]:
        """Celery task names it is registered under (`@app.task(name=...)`)."""
        node = self.chain[-1]
        return {
            str(keyword.value.value)
            for decorator in node.decorator_list
            if isinstance(decorator, ast.Call)
            for keyword in decorator.keywords
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant)
        }


def resolve(root: Path, dotted: str) -> Definition | None:
    """`package.module.Name[.name…]` to its definition in package/module.py; None if it is not there."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = root.joinpath(*parts[:cut]).with_suffix(".py")
        if path.is_file():
            break
    else:
        return None
    text = path.read_text(encoding="utf-8")
    node: ast.AST = ast.parse(text)
    chain: list[Def] = []
    for name in parts[cut:]:
        found = [n for n in ast.iter_child_nodes(node) if isinstance(n, _DEFS) and n.name == name]
        if not found:
            return None
        node = found[0]
        chain.append(found[0])
    return Definition(dotted, path, tuple(chain), ast.get_source_segment(text, node) or "")


def section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def _without_fences(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


@dataclass(frozen=True)
class Row:
    number: str
    file: str
    function: str
    callee: str
    call_site: str
    wired_in: str


def trace_rows(trace: str) -> list[Row]:
    rows = []
    for line in trace.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or not cells[0].isdigit():
            continue  # the header, its rule, and anything that is not a row
        ticked = [(_ticked(cell) or [NONE])[0] for cell in cells[1:6]]
        rows.append(Row(cells[0], *ticked))
    return rows


def module_file(root: Path, dotted: str) -> str | None:
    definition = resolve(root, dotted)
    return None if definition is None else definition.path.relative_to(root).as_posix()


def row_problems(root: Path, row: Row) -> list[str]:
    where = f"row {row.number}"
    if not (root / row.file).is_file():
        return [f"{where}: no file {row.file}"]
    caller = resolve(root, row.function)
    if caller is None:
        return [f"{where}: {row.function} is not defined"]
    if caller.path != root / row.file:
        return [f"{where}: {row.function} is not in {row.file}"]
    if row.callee == NONE:
        return []
    callee = resolve(root, row.callee)
    if callee is None:
        return [f"{where}: {row.callee} is not defined"]
    if row.call_site not in caller.source:
        return [f"{where}: {row.function} has no call site `{row.call_site}`"]
    named = re.search(rf"\b{re.escape(callee.key)}\b", row.call_site) is not None
    named = named or bool(set(_QUOTED.findall(row.call_site)) & callee.task_names())
    if not named and row.wired_in != NONE:
        wiring = resolve(root, row.wired_in)
        if wiring is None:
            return [f"{where}: {row.wired_in} is not defined"]
        named = re.search(rf"\b{re.escape(callee.key)}\b", wiring.source) is not None
    if not named:
        return [f"{where}: neither `{row.call_site}` nor its wiring names {callee.key} ({row.callee})"]
    return []


def trace_problems(root: Path, doc: str) -> list[str]:
    rows = trace_rows(section(doc, TRACE_HEADING))
    if not rows:
        return ["the trace has no rows"]
    problems = [problem for row in rows for problem in row_problems(root, row)]
    files = {row.file for row in rows}
    files |= {
        module_file(root, name) or name for row in rows for name in (row.function, row.callee) if name != NONE
    }
    if len(files) > MAX_TRACE_FILES:
        problems.append(f"the trace runs through {len(files)} files: {sorted(files)}")
    return problems


def name_problems(root: Path, doc: str) -> list[str]:
    """Every backticked path, and every backticked dotted name that starts with one of our packages, exists."""
    problems = []
    for token in _ticked(_without_fences(doc)):
        if (_PATH.fullmatch(token) and "/" in token) or token in ("pyproject.toml", "docker-compose.yml"):
            if not (root / token).exists():
                problems.append(f"no such path: {token}")
        elif _DOTTED.fullmatch(token) and token.split(".")[0] in PACKAGES and resolve(root, token) is None:
            problems.append(f"not defined: {token}")
    problems += [
        f"no such doc: {path}" for path in re.findall(r"docs/[\w-]+\.md", doc) if not (root / path).is_file()
    ]
    return problems


def layer_problems(doc: str, layers: list[str]) -> list[str]:
    block = re.search(r"```\n(.*?)```", section(doc, LAYERS_HEADING), flags=re.DOTALL)
    listed = [] if block is None else [" ".join(line.split()) for line in block.group(1).splitlines() if line]
    expected = [" ".join(layer.split()) for layer in layers]
    return [] if listed == expected else [f"the layers listed {listed} are not pyproject's {expected}"]


# --- the page as it is ------------------------------------------------------------------------------------


def test_the_trace_names_real_functions_and_call_sites_within_12_files() -> None:
    assert trace_problems(ROOT, DOC.read_text(encoding="utf-8")) == []


def test_every_path_and_dotted_name_on_the_page_exists() -> None:
    assert name_problems(ROOT, DOC.read_text(encoding="utf-8")) == []


def test_the_layers_are_the_import_linter_layers() -> None:
    contracts = _pyproject()["tool"]["importlinter"]["contracts"]
    (layers,) = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    assert layer_problems(DOC.read_text(encoding="utf-8"), layers) == []


# --- the checks can fail -------------------------------------------------------------------------------------


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        "from pkg import b\n\n"
        "def start(x):\n    b.finish(x)\n\n"
        "class Hook:\n    def __call__(self, x):\n        pass\n\n"
        "def wire():\n    return Hook()\n\n"
        "def run(hook, x):\n    hook(x)\n\n"
        '@app.task(name="pkg.finish")\ndef finish_task(x):\n    pass\n'
    )
    (tmp_path / "pkg" / "b.py").write_text('def finish(x):\n    send("pkg.finish", x)\n')
    return tmp_path


def _doc(*rows: str) -> str:
    header = "| # | file | function | hands off to | call site | wired in | what |\n|---|---|---|---|---|---|---|\n"
    return f"{TRACE_HEADING}\n\n{header}" + "\n".join(rows) + "\n\n## Next\n"


def test_a_true_trace_passes_the_checks(tmp_path: Path) -> None:
    root = _project(tmp_path)
    doc = _doc(
        "| 1 | `pkg/a.py` | `pkg.a.start` | `pkg.b.finish` | `b.finish(x)` | — | |",
        "| 2 | `pkg/a.py` | `pkg.a.run` | `pkg.a.Hook.__call__` | `hook(x)` | `pkg.a.wire` | |",
        '| 3 | `pkg/b.py` | `pkg.b.finish` | `pkg.a.finish_task` | `send("pkg.finish"` | — | |',
    )
    assert trace_problems(root, doc) == []


def test_each_kind_of_drift_is_reported(tmp_path: Path) -> None:
    root = _project(tmp_path)
    doc = _doc(
        "| 1 | `pkg/c.py` | `pkg.c.start` | — | — | — | |",
        "| 2 | `pkg/a.py` | `pkg.a.begin` | — | — | — | |",
        "| 3 | `pkg/b.py` | `pkg.a.start` | — | — | — | |",
        "| 4 | `pkg/a.py` | `pkg.a.start` | `pkg.b.end` | `b.finish(x)` | — | |",
        "| 5 | `pkg/a.py` | `pkg.a.start` | `pkg.b.finish` | `b.end(x)` | — | |",
        "| 6 | `pkg/a.py` | `pkg.a.run` | `pkg.a.Hook.__call__` | `hook(x)` | — | |",
        '| 7 | `pkg/b.py` | `pkg.b.finish` | `pkg.a.start` | `send("pkg.finish"` | — | |',
    )
    assert trace_problems(root, doc) == [
        "row 1: no file pkg/c.py",
        "row 2: pkg.a.begin is not defined",
        "row 3: pkg.a.start is not in pkg/b.py",
        "row 4: pkg.b.end is not defined",
        "row 5: pkg.a.start has no call site `b.end(x)`",
        "row 6: neither `hook(x)` nor its wiring names Hook (pkg.a.Hook.__call__)",
        'row 7: neither `send("pkg.finish"` nor its wiring names start (pkg.a.start)',
    ]


def test_a_trace_through_more_than_12_files_is_refused(tmp_path: Path) -> None:
    for n in range(13):
        (tmp_path / f"m{n}.py").write_text("def f():\n    pass\n")
    doc = _doc(*(f"| {n} | `m{n}.py` | `m{n}.f` | — | — | — | |" for n in range(13)))
    assert [p.split(":")[0] for p in trace_problems(tmp_path, doc)] == ["the trace runs through 13 files"]


def test_a_missing_name_or_path_and_a_changed_layer_are_reported(tmp_path: Path) -> None:
    root = _project(tmp_path)
    page = "See `pkg/a.py`, `pkg/gone.py`, `workers.nowhere.f` and docs/absent.md.\n"
    assert name_problems(root, page) == [
        "no such path: pkg/gone.py",
        "not defined: workers.nowhere.f",
        "no such doc: docs/absent.md",
    ]
    layers_doc = f"{LAYERS_HEADING}\n\n```\ntop\nmiddle | side\nbottom\n```\n"
    assert layer_problems(layers_doc, ["top", "middle | side", "bottom"]) == []
    assert layer_problems(layers_doc, ["top", "middle", "side", "bottom"]) != []
