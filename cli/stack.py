"""Start the real processes (simulator, API, Celery worker) on this machine: for the demo, e2e tests, benches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from simulator.testing import SimulatorProcess, free_port

CLIENT_ID = 1234
CLIENT_SECRET = "simulator-secret"
VERIFY_TOKEN = "local-verify-token"
SUBSCRIPTION_ID = 120475


def _runsmart() -> list[str]:
    script = Path(sys.executable).with_name("runsmart")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


@dataclass
class Stack:
    """Simulator + API + worker(s), wired to each other through environment variables only."""

    database_url: str
    broker_url: str
    log_dir: Path
    workers: int = 1
    worker_pool: str = "solo"
    api_workers: int = 1  # uvicorn processes behind the API's port (`runsmart api --workers`)
    beat: bool = False
    simulator_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.simulator = SimulatorProcess(
            args=[
                "--client-id", str(CLIENT_ID),
                "--client-secret", CLIENT_SECRET,
                "--callback-url", f"{self.api_url}/webhooks/strava",
                "--subscription-id", str(SUBSCRIPTION_ID),
                "--verify-token", VERIFY_TOKEN,
                "--retry-delay", "0.5",
                *self.simulator_args,
            ]
        )  # fmt: skip
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RUNSMART_ENV": "development",
            "RUNSMART_DATABASE_URL": self.database_url,
            "RUNSMART_BROKER_URL": self.broker_url,
            # The shared Strava budget lives beside the broker (its own Redis database in tests).
            **({"RUNSMART_REDIS_URL": self.broker_url} if self.broker_url.startswith("redis") else {}),
            "RUNSMART_FILESYSTEM_BROKER_DIR": str(self.log_dir / "broker"),
            "RUNSMART_STRAVA_BASE_URL": self.simulator.base_url,
            "RUNSMART_STRAVA_CLIENT_ID": str(CLIENT_ID),
            "RUNSMART_STRAVA_CLIENT_SECRET": CLIENT_SECRET,
            "RUNSMART_STRAVA_VERIFY_TOKEN": VERIFY_TOKEN,
            "RUNSMART_STRAVA_SUBSCRIPTION_ID": str(SUBSCRIPTION_ID),
            "RUNSMART_PUBLIC_BASE_URL": self.api_url,
            "RUNSMART_RETRY_BASE_S": "1",
            "RUNSMART_RETRY_MAX_S": "5",
            # Each plan update is sent at once (docs/notifications.md, Coalescing); a stack that shows
            # coalescing sets a window through `extra_env`.
            "RUNSMART_NOTIFY_COALESCE_WINDOW_S": "0",
            "SILENCE_TOKEN_WARNINGS": "true",
            **self.extra_env,
        }

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen([*_runsmart(), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = proc
        return proc

    def start(self) -> Stack:
        self.simulator.start()
        self._spawn("api", ["api", "--port", str(self.api_port), "--workers", str(self.api_workers)])
        for n in range(self.workers):
            self.start_worker(f"worker{n}")
        if self.beat:
            self._spawn("beat", ["beat"])
        self._wait_for_api()
        return self

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(name, ["worker", "--pool", self.worker_pool, "--concurrency", "1"])

    def kill(self, name: str) -> None:
        proc = self.processes.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def _wait_for_api(self, timeout: float = 240.0) -> None:
        """Wait for the API to answer, as long as its process is alive: a start on a busy machine is slow, a
        crashed one fails at once. The deadline is only a backstop against a process that hangs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["api"].poll() is not None:
                raise RuntimeError(f"the API exited; see {self.log_dir / 'api.log'}")
            try:
                if requests.get(f"{self.api_url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the API did not become healthy in {timeout}s; see {self.log_dir / 'api.log'}")

    def connect_athlete(self, athlete_id: int | None = None) -> int:
        """The real OAuth dance: API /strava/connect -> simulator authorize -> API /strava/callback.

        `athlete_id` picks which simulated athlete approves (the simulator's own extra parameter).
        """
        # One browser: the callback only accepts the state together with the cookie /strava/connect set.
        with requests.Session() as browser:
            browser.headers["Accept"] = "application/json"
            start = browser.get(f"{self.api_url}/strava/connect", timeout=30, allow_redirects=False)
            start.raise_for_status()
            authorize = start.headers["location"] + (f"&athlete_id={athlete_id}" if athlete_id else "")
            response = browser.get(authorize, timeout=30)
            response.raise_for_status()
            return int(response.json()["athlete_id"])

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.processes.clear()
        self.simulator.stop()

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
