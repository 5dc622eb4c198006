"""`python -m simulator ...` is the same command as `runsmart simulator ...`."""

import typer

from simulator.cli import simulator_command

if __name__ == "__main__":
    typer.run(simulator_command)
