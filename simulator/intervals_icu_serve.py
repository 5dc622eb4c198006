"""Serving the intervals.icu stand-in (simulator/intervals_icu.py): `StandIn` from a thread of the caller's
process (tests, the demo), or ``python -m simulator.intervals_icu_serve --port N --athlete i123:KEY`` as a
process of its own.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from simulator.intervals_icu import Fault, IcuWorld, JsonObject, create_app, public


class StandIn:
    """The stand-in on a free local port, served from a daemon thread until `stop` (or the `with` block ends).

    >>> with StandIn() as icu:
    ...     icu.add_athlete("i12345", "the-athletes-key")
    ...     icu.events("i12345")
    """

    def __init__(self, world: IcuWorld | None = None, host: str = "127.0.0.1") -> None:
        self.world = world or IcuWorld()
        self.host = host
        self.base_url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def start(self) -> StandIn:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        config = uvicorn.Config(create_app(self.world), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="intervals-icu-stand-in", daemon=True
        )
        self._thread.start()
        self._socket = sock
        deadline = time.monotonic() + 10
        while not self._server.started:  # readiness, not a fixed wait
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the intervals.icu stand-in did not start")
            time.sleep(0.01)
        self.base_url = f"http://{self.host}:{sock.getsockname()[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def add_athlete(self, athlete_id: str, api_key: str) -> None:
        self.world.add_athlete(athlete_id, api_key)

    def events(self, athlete_id: str) -> list[JsonObject]:
        """The athlete's calendar as the API would list it, by day."""
        return [public(e) for e in self.world.calendar(athlete_id)]

    def fail_next(self, status: int, times: int = 1, retry_after: int | None = None, on: str = "") -> None:
        """The next `times` API requests (to a path ending with `on`, when given) are answered `status`, with
        Retry-After when given."""
        with self.world.lock:
            self.world.faults.append(Fault(status, times, retry_after, on))

    def api_requests(self) -> list[JsonObject]:
        with self.world.lock:
            return list(self.world.requests)


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A local stand-in for intervals.icu's calendar API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--athlete", action="append", default=[], metavar="ATHLETE_ID:API_KEY")
    args = parser.parse_args(argv)
    world = IcuWorld()
    for pair in args.athlete:
        athlete_id, _, key = pair.partition(":")
        world.add_athlete(athlete_id, key)
    uvicorn.run(create_app(world), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
