"""The worker process: `runsmart worker` replaces itself with `python -m workers.process` (os.execv), so a
worker never holds the command line's own imports (typer, rich, every subcommand), as webhooks/server.py does
for the API (README "Performance"). It keeps its process id, so supervisors and signals are unaffected."""

from __future__ import annotations

import sys

from runsmart.logs import configure_logging
from workers.celery_app import app


def main(argv: list[str]) -> None:
    """Celery's worker with ``argv`` (the options `runsmart worker` checked), logging as every process does."""
    configure_logging()
    app.worker_main(["worker", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
