"""`runsmart plan ...` commands (owned by the planner work; see issue 3)."""

from __future__ import annotations

from pathlib import Path

import typer

plan_app = typer.Typer(no_args_is_help=True, help="Training plans: replay scenarios, show plans.")


@plan_app.command("replay")
def replay_command(
    scenario: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Scenario JSON (docs/scenario.md)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of tables."),
) -> None:
    """Replay a scenario: the plan, the matches, compliance and every change with its reason."""
    import json

    from runsmart.scenario import ScenarioError, load_scenario, render, replay

    try:
        report = replay(load_scenario(scenario))
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        render(report)


@plan_app.command("examples", hidden=True)
def examples_command(
    directory: Path = typer.Argument(
        Path("examples/scenarios"), help="Where to write the example scenarios."
    ),
) -> None:
    """Regenerate the shipped example scenarios (synthetic Strava activities)."""
    from runsmart.scenario import write_examples

    for path in write_examples(directory):
        typer.echo(str(path))
