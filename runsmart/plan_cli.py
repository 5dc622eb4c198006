"""`runsmart plan ...` commands: scenario replay (issue 3) and showing a stored plan (issue 4)."""

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


@plan_app.command("show")
def show_command(
    athlete_id: int = typer.Argument(..., help="The athlete's Strava id."),
    chart: Path | None = typer.Option(None, "--chart", help="Also draw the weeks into this PNG file."),
) -> None:
    """The athlete's stored plan: weeks planned vs done (compliance colours), the changes and their reasons."""
    from rich.console import Console

    from plans.errors import PlanError
    from runsmart import plan_show
    from runsmart.bootstrap import container

    try:
        plan_show.show(container(), athlete_id, Console(), chart)
    except PlanError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    if chart is not None:
        typer.echo(f"chart written to {chart}")
