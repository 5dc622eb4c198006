"""Helpers to run the simulator for tests and to drive its ``/_sim`` admin API.

``run_in_thread(world)`` serves a world from a background thread (in-process, fast); ``SimulatorProcess``
runs ``runsmart simulator`` as a real subprocess (cross-process e2e tests); ``SimulatorAdmin`` is a small
typed client for the admin endpoints; ``StravaRewriteSession`` is a ``requests.Session`` that sends stravalib's
``https://www.strava.com`` calls to the simulator instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from simulator.state import World

STRAVA_PREFIX = "https://www.strava.com"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def run_in_thread(world: World | None = None, host: str = "127.0.0.1") -> tuple[str, Callable[[], None]]:
    """Serve ``world`` (default: a fresh empty one) on a free port from a daemon thread.

    Returns ``(base_url, stop)``; ``stop()`` shuts the server and the delivery thread down.
    """
    import uvicorn

    from simulator.app import create_app

    app = create_app(world or World())
    # Naming TCP makes asyncio turn Nagle's algorithm off on each connection; without it every response
    # waited ~40 ms for the client's delayed ACK (webhooks/server.py NoDelayConfig).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    # The app sends Strava's `Date` from the simulated clock; uvicorn's own would be a second, different one.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", date_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="strava-simulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("simulator thread did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.deliverer.stop()
        sock.close()

    return f"http://{host}:{port}", stop


class SimulatorProcess:
    """Run ``runsmart simulator --port N ...`` as a subprocess; waits until ``/_sim/health`` answers.

    >>> with SimulatorProcess(args=["--callback-url", url]) as sim:
    ...     sim.admin.create_activity(sim.demo_athlete_id)
    """

    def __init__(
        self,
        port: int | None = None,
        args: Sequence[str] = (),
        host: str = "127.0.0.1",
        command: Sequence[str] | None = None,
        startup_timeout: float = 20.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.args = list(args)
        self.command = list(command) if command else self._default_command()
        self.startup_timeout = startup_timeout
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = f"http://{host}:{self.port}"
        self.admin = SimulatorAdmin(self.base_url)
        self.demo_athlete_id: int | None = None

    @staticmethod
    def _default_command() -> list[str]:
        script = Path(sys.executable).with_name("runsmart")
        if script.exists():
            return [str(script), "simulator"]
        found = shutil.which("runsmart")
        if found:
            return [found, "simulator"]
        return [sys.executable, "-m", "simulator"]

    def start(self) -> SimulatorProcess:
        cmd = [*self.command, "--host", self.host, "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(self.env or {})},
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read() if self.proc.stdout else ""
                raise RuntimeError(f"simulator exited with {self.proc.returncode}: {out}")
            try:
                health = requests.get(f"{self.base_url}/_sim/health", timeout=0.5).json()
                self.demo_athlete_id = health.get("demo_athlete_id")
                return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"simulator did not answer on {self.base_url} within {self.startup_timeout}s")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class StravaRewriteSession(requests.Session):
    """A ``requests.Session`` that rewrites ``https://www.strava.com`` to ``base_url`` and adds a timeout.

    Pass it to ``stravalib.Client(requests_session=...)`` so stravalib talks to the simulator.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        text = url.decode() if isinstance(url, bytes) else url
        if text.startswith(STRAVA_PREFIX):
            text = self.base_url + text[len(STRAVA_PREFIX) :]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, text, *args, **kwargs)


class SimulatorError(RuntimeError):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.url} -> {response.status_code}: {response.text[:500]}"
        )
        self.response = response


class SimulatorAdmin:
    """Typed client for the ``/_sim`` admin API (see docs/simulator.md)."""

    def __init__(self, base_url: str, timeout: float = 30.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        resp = self.session.request(
            method, f"{self.base_url}/_sim{path}", json=json, params=params, timeout=self.timeout
        )
        if resp.status_code >= 400:
            raise SimulatorError(resp)
        return resp.json() if resp.content else None

    # world
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def config(self) -> dict[str, Any]:
        return self._call("GET", "/config")

    def set_config(self, **values: Any) -> dict[str, Any]:
        return self._call("PATCH", "/config", json=values)

    def reset(self, reseed: bool = True, keep_subscription: bool = True) -> dict[str, Any]:
        return self._call("POST", "/reset", json={"reseed": reseed, "keep_subscription": keep_subscription})

    # athletes and tokens
    def athletes(self) -> list[dict[str, Any]]:
        return self._call("GET", "/athletes")

    def create_athlete(self, **fields: Any) -> dict[str, Any]:
        return self._call("POST", "/athletes", json=fields)

    def issue_tokens(
        self, athlete_id: int, scope: str = "read,activity:read_all", expires_in: int | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST", f"/athletes/{athlete_id}/tokens", json={"scope": scope, "expires_in": expires_in}
        )

    def deauthorize(self, athlete_id: int) -> dict[str, Any]:
        return self._call("POST", f"/athletes/{athlete_id}/deauthorize")

    # activities
    def activities(self, athlete_id: int | None = None, include_hidden: bool = False) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"include_hidden": include_hidden}
        if athlete_id is not None:
            params["athlete_id"] = athlete_id
        return self._call("GET", "/activities", params=params)

    def activity(self, activity_id: int) -> dict[str, Any]:
        return self._call("GET", f"/activities/{activity_id}")

    def create_activity(
        self,
        athlete_id: int,
        kind: str = "easy",
        start_date_local: str | None = None,
        fields: dict[str, Any] | None = None,
        push: bool = True,
        activity_id: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, "fields": fields or {}, "push": push}
        if start_date_local:
            body["start_date_local"] = start_date_local
        if activity_id is not None:
            body["id"] = activity_id
        return self._call("POST", f"/athletes/{athlete_id}/activities", json=body)

    def update_activity(self, activity_id: int, push: bool = True, **changes: Any) -> dict[str, Any]:
        return self._call("PATCH", f"/activities/{activity_id}", json={**changes, "push": push})

    def delete_activity(self, activity_id: int, push: bool = True) -> dict[str, Any]:
        return self._call("DELETE", f"/activities/{activity_id}", params={"push_event": push})

    def replay(
        self,
        athlete_id: int | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        body = {"athlete_id": athlete_id, "after": after, "before": before, "limit": limit}
        return self._call("POST", "/replay", json={k: v for k, v in body.items() if v is not None})

    # limits and clock
    def limits(self) -> dict[str, Any]:
        return self._call("GET", "/limits")

    def set_limits(
        self,
        read: tuple[int, int] | None = None,
        overall: tuple[int, int] | None = None,
        reset_usage: bool = False,
    ) -> dict[str, Any]:
        return self._call(
            "PUT", "/limits", json={"read": read, "overall": overall, "reset_usage": reset_usage}
        )

    def reset_limits(self) -> dict[str, Any]:
        return self._call("POST", "/limits/reset")

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def set_clock(
        self, offset: float | None = None, advance: float | None = None, at: float | None = None
    ) -> dict[str, Any]:
        return self._call("POST", "/clock", json={"offset": offset, "advance": advance, "set": at})

    # faults
    def add_fault(
        self,
        kind: str = "status",
        path_prefix: str = "/api/v3",
        status: int = 500,
        count: int = 1,
        delay: float = 0.0,
        method: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "kind": kind,
            "path_prefix": path_prefix,
            "status": status,
            "count": count,
            "delay": delay,
            "method": method,
        }
        return self._call("POST", "/faults", json=body)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # stats and deliveries
    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._call("POST", "/stats/reset")

    def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        return self._call("GET", "/deliveries", params={"status": status} if status else None)

    def wait_deliveries(self, timeout: float = 10.0) -> dict[str, Any]:
        return self._call("POST", "/deliveries/wait", json={"timeout": timeout})

    def clear_deliveries(self) -> None:
        self._call("DELETE", "/deliveries")

    # subscription
    def subscription(self) -> dict[str, Any] | None:
        return self._call("GET", "/subscription")

    def set_subscription(
        self, callback_url: str, subscription_id: int | None = None, verify_token: str = "STRAVA"
    ) -> dict[str, Any]:
        return self._call(
            "PUT",
            "/subscription",
            json={"callback_url": callback_url, "id": subscription_id, "verify_token": verify_token},
        )

    def delete_subscription(self) -> None:
        self._call("DELETE", "/subscription")
