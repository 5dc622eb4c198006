"""Optional packages a library imports whenever they are installed, kept out of a process that never uses
them.

pint (stravalib's units) imports numpy and Babel if it finds them, a large share of a worker's memory (README
"Performance"), though stravalib hands the worker plain numbers and nothing in it formats units by locale.
numpy is installed for matplotlib (`runsmart plan show --chart`), Babel as the source of messages/cldr.py's
data. Likewise kombu registers a YAML serializer whenever PyYAML is installed, which the API, publishing JSON
and consuming nothing, never uses (webhooks/server.py). `absent` makes such imports fail as they would where
the package is not installed, for the duration of one import (Python's import system stops at a ``None`` entry
in ``sys.modules``); afterwards the package imports as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def absent(*names: str) -> Iterator[None]:
    """Within the block, importing any of ``names`` (or their submodules) raises ``ModuleNotFoundError``. A
    package already imported is left as it is: what holds it keeps it."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
