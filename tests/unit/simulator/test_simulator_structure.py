"""The simulator's shape: route handlers are top-level functions and no function runs past 80 lines."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

import simulator
from simulator.app import create_app

MAX_FUNCTION_LINES = 80


def route_handlers(routes: Iterable[Any]) -> Iterator[Callable[..., Any]]:
    """Every endpoint function, also inside included routers (FastAPI keeps those as one route each)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.endpoint
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from route_handlers(included.routes)


def test_every_route_handler_is_a_top_level_function() -> None:
    handlers = list(route_handlers(create_app().routes))
    assert len(handlers) > 40  # the Strava endpoints and the /_sim admin API
    nested = [f"{h.__module__}.{h.__qualname__}" for h in handlers if "<locals>" in h.__qualname__]
    assert nested == []


def test_no_function_in_the_simulator_is_longer_than_80_lines() -> None:
    too_long = []
    for path in sorted(Path(simulator.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert too_long == []
