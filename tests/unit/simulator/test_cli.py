"""`runsmart simulator` as a real subprocess, driven through SimulatorAdmin."""

from __future__ import annotations

import requests

from simulator.testing import SimulatorProcess
from tests.unit.simulator.conftest import Receiver


def test_simulator_process_with_callback(receiver: Receiver) -> None:
    args = [
        "--weeks",
        "2",
        "--seed",
        "5",
        "--callback-url",
        receiver.url,
        "--subscription-id",
        "777",
        "--read-limit",
        "50,500",
        "--retry-delay",
        "0.1",
    ]
    with SimulatorProcess(args=args) as sim:
        assert sim.demo_athlete_id is not None
        assert sim.admin.config()["read_limit"] == [50, 500]
        tokens = sim.admin.issue_tokens(sim.demo_athlete_id)
        r = requests.get(
            f"{sim.base_url}/api/v3/athlete/activities",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=5,
        )
        assert r.status_code == 200
        assert r.json()
        assert r.headers["X-ReadRateLimit-Limit"] == "50,500"
        created = sim.admin.create_activity(sim.demo_athlete_id, kind="intervals")
        assert sim.admin.wait_deliveries(timeout=5)["idle"]
        assert receiver.events[-1]["object_id"] == created["activity"]["id"]
        assert receiver.events[-1]["subscription_id"] == 777
    assert sim.proc is None
