"""The simulator served from a thread (simulator/testing.py), as the fidelity and budget tests use it."""

from __future__ import annotations

import http.client
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

from simulator.state import World
from simulator.testing import run_in_thread


def test_a_response_carries_one_date_strava_s_from_the_simulated_clock(world: World) -> None:
    # The budget files usage under the window of `Date`; a second Date from the server's own clock would make
    # the header ambiguous (requests joins repeated headers into one value).
    athlete_id = next(iter(world.athletes))
    access, _ = world.issue_tokens(athlete_id, frozenset({"read", "activity:read_all"}))
    base_url, stop = run_in_thread(world)
    try:
        url = urlparse(base_url)
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
        connection.request("GET", "/api/v3/athlete", headers={"Authorization": f"Bearer {access.token}"})
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        stop()
    assert response.status == 200
    dates = [value for name, value in response.getheaders() if name.lower() == "date"]
    assert len(dates) == 1, dates
    assert abs(parsedate_to_datetime(dates[0]).timestamp() - world.now()) < 2
