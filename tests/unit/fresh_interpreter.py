"""Run Python code in a fresh interpreter, as a new API or worker process starts: what it imports is its own."""

from __future__ import annotations

import subprocess
import sys


def printed_by(code: str) -> list[str]:
    """The lines ``code`` prints, run by a new interpreter of this environment (failing if it fails)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
