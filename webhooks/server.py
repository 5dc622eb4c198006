"""The API process: uvicorn serving `webhooks.app`, in an interpreter of its own.

`runsmart api` replaces itself with `python -m webhooks.server` (os.execv), so the API process never holds
the command line's own imports (typer, rich, every subcommand): ~8 MB of the API's 120 MB memory goal
(README "Performance"). It keeps its process id, so supervisors and signals are unaffected.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import socket
import sys
import tempfile

import uvicorn
from uvicorn.server import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from runsmart.lean_imports import absent

# Installed packages the API's libraries would load for nothing (runsmart/lean_imports.py): kombu registers a
# YAML serializer when PyYAML is there (~1 MB), but the API publishes JSON only and consumes no message.
UNUSED_BY_THE_API = ("yaml",)


class NoDelayConfig(uvicorn.Config):
    """uvicorn's config, with Nagle's algorithm off on the listening socket (its connections inherit it).

    uvicorn binds that socket without naming the protocol, and asyncio only turns Nagle off for sockets that
    name TCP (uvloop does it for every socket). With Nagle on, a response written as headers then body waits
    for the client's delayed ACK: with `--workers 2`, GET /healthz took 48 ms (median of 40) instead of 3.6 ms.
    tests/unit/test_api_server.py checks the option on accepted connections.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def load(self) -> None:
        # Where every server process (the spawned ones of `--workers N` too) imports and builds the app.
        with absent(*UNUSED_BY_THE_API):
            super().load()

    def configure_logging(self) -> None:
        # Runs in every server process, the spawned ones of `--workers N` included (they start from a fresh
        # interpreter, without the parent's logging): the same redacting setup as the parent. A single server
        # process takes its live gauges out of the multiprocess sum at exit; spawned ones end without running
        # atexit, so their supervisor does it for them (MetricsMultiprocess).
        super().configure_logging()
        if self.log_config is not None:  # uvicorn's own logging was asked for (not by `runsmart api`)
            return
        from runsmart.logs import configure_logging
        from runsmart.ops_metrics import mark_process_dead

        configure_logging()
        atexit.register(mark_process_dead, os.getpid())


class MetricsMultiprocess(Multiprocess):
    """uvicorn's supervisor, marking each server process dead in the metrics when it is replaced or stopped."""

    def keep_subprocess_alive(self) -> None:
        before = {process.pid for process in self.processes}
        super().keep_subprocess_alive()
        self._mark_dead(before - {process.pid for process in self.processes})

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._mark_dead({process.pid for process in self.processes})

    @staticmethod
    def _mark_dead(pids: set[int | None]) -> None:
        from runsmart.ops_metrics import mark_process_dead

        for pid in pids:
            if pid is not None:
                mark_process_dead(pid)


def prepare_metrics(workers: int) -> None:
    """Before prometheus_client is imported: with several server processes, their values must add up in files
    (runsmart/ops_metrics.py). A folder is made for this run when none is configured, and removed at exit."""
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = tempfile.mkdtemp(prefix="runsmart-api-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    from runsmart.ops_metrics import prepare_multiprocess_dir  # imports prometheus_client: after the variable

    prepare_multiprocess_dir()


def server_config(host: str, port: int, workers: int, *, proxies: str | None = None) -> NoDelayConfig:
    """uvicorn's configuration for the API; `proxies`: the reverse proxies whose X-Forwarded-For is trusted."""
    return NoDelayConfig(
        "webhooks.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # None: uvicorn's own handlers would print access lines (the OAuth callback's `code=...`) unscrubbed;
        # without them its loggers propagate to the root handler, which redacts secrets.
        log_config=None,
        ws="none",  # no websocket endpoints: don't load a websocket implementation
        # The intake's throttle keys on the client's address (docs/api.md, "The Strava intake").
        forwarded_allow_ips=proxies,  # None: uvicorn's default (FORWARDED_ALLOW_IPS, else 127.0.0.1)
        # httptools: the intake's HTTP parsing in C; named, so a missing one fails at start instead of falling
        # back to h11 silently. The standard asyncio loop, not uvloop: on the intake bench uvloop was worth 1 %
        # (5,484 vs 5,424 events/s, p99 19.6 vs 20.0 ms) and cost the process 2.2 MB of its 120 MB goal.
        loop="asyncio",
        http="httptools",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="runsmart api", description="Serve the RunSmart Sync API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    from runsmart.logs import configure_logging

    configure_logging()
    prepare_metrics(args.workers)
    from runsmart.settings import get_settings

    config = server_config(args.host, args.port, args.workers, proxies=get_settings().forwarded_allow_ips)
    socket_ = config.bind_socket()
    if config.workers > 1:
        MetricsMultiprocess(config, sockets=[socket_]).run()
        return
    server = uvicorn.Server(config)
    server.run(sockets=[socket_])
    if not server.started:  # e.g. the app failed to load: a non-zero exit, as `uvicorn.run` gives
        sys.exit(STARTUP_FAILURE)


if __name__ == "__main__":
    main()
