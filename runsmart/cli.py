"""`runsmart` command line: one entry point for operators, the demo and the tools."""

from __future__ import annotations

import typer

from runsmart.plan_cli import plan_app
from simulator.cli import simulator_command

app = typer.Typer(no_args_is_help=True, help="RunSmart Sync: Strava runs kept true to the training plan.")
app.add_typer(plan_app, name="plan")
app.command("simulator")(simulator_command)


if __name__ == "__main__":
    app()
