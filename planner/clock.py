"""Times as a watch shows them: paces and short spans as ``m:ss``, longer spans as ``h:mm:ss``."""

from __future__ import annotations


def minutes_seconds(seconds: float) -> str:
    """``4:05``: a pace per km, or a span read in minutes (the minutes are not carried into hours)."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def clock(seconds: float) -> str:
    """``42:30``, or ``1:35:20`` from an hour on: a race or a run's time."""
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{minutes_seconds(rest).zfill(5)}" if hours else minutes_seconds(rest)
