"""The JSON shapes the simulator serves."""

from __future__ import annotations

from typing import Any

# What the simulator serves stays in Strava's JSON shapes, held as plain dicts so that what it holds is what it
# serves: an activity exactly as Strava's DetailedActivity (plus the simulator's own "_kind"), event bodies and
# admin answers.  Athletes are typed (simulator/athlete.py).
JsonObject = dict[str, Any]
StravaActivity = dict[str, Any]
