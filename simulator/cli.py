"""`runsmart simulator` (owned by the simulator work)."""

from __future__ import annotations


def simulator_command() -> None:
    """Run the Strava API simulator."""
    raise SystemExit("the simulator is being built")
