"""The API process: uvicorn serving `webhooks.app`, in an interpreter of its own.

`runsmart api` replaces itself with `python -m runsmart.api_server` (os.execv), so the API process never holds
the command line's own imports (typer, rich, every subcommand): ~8 MB of the API's 120 MB memory goal
(README "Performance"). It keeps its process id, so supervisors and signals are unaffected.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="runsmart api", description="Serve the RunSmart Sync API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    import uvicorn

    from runsmart.logs import configure_logging

    configure_logging()
    # log_config=None: uvicorn's own handlers would print access lines (the OAuth callback's `code=...`)
    # unscrubbed; without them its loggers propagate to the root handler, which redacts secrets.
    uvicorn.run(
        "webhooks.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        ws="none",  # no websocket endpoints: don't load a websocket implementation
        # the intake needs these; named, so a missing one fails at start instead of falling back silently
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
