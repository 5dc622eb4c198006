"""`runsmart plan ...` commands: scenario replay, showing a stored plan, and the coaching scorecard."""

from __future__ import annotations

from pathlib import Path

import typer

plan_app = typer.Typer(
    no_args_is_help=True, help="Training plans: replay scenarios, show plans, the scorecard."
)


@plan_app.command("replay")
def replay_command(
    scenario: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Scenario JSON (docs/scenario.md)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of tables."),
) -> None:
    """Replay a scenario: the plan, the matches, compliance and every change with its reason."""
    import json

    from cli.scenario import ScenarioError, load_scenario, render, replay

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
    from cli.scenario import write_examples

    for path in write_examples(directory):
        typer.echo(str(path))


@plan_app.command("show")
def show_command(
    athlete_id: int = typer.Argument(..., help="The athlete's Strava id."),
    chart: Path | None = typer.Option(None, "--chart", help="Also draw the weeks into this PNG file."),
) -> None:
    """The athlete's stored plan: weeks planned vs done (compliance colours), the changes and their reasons."""
    from rich.console import Console

    from cli import plan_show
    from plans.errors import PlanError
    from workers.runtime import container

    try:
        plan_show.show(container(), athlete_id, Console(), chart)
    except PlanError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    if chart is not None:
        typer.echo(f"chart written to {chart}")


@plan_app.command("scorecard")
def scorecard_command(
    athletes: int = typer.Option(2000, "--athletes", min=1, help="How many synthetic athletes."),
    seed: int = typer.Option(1, "--seed", help="The cohort's seed: the same seed gives the same report."),
    out: Path = typer.Option(Path("docs/scorecard.md"), "--out", help="Where to write the report."),
    processes: int = typer.Option(1, "--processes", min=1, help="Worker processes (the cohort is split)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when a hard rule has a violation."),
) -> None:
    """Run a synthetic cohort through generation and adaptation and report how often each rule is broken."""
    from cli.scorecard import run_scorecard

    tally, text = run_scorecard(athletes, seed, processes)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    from planner.scorecard import hard_violations, table_rows

    for name, kind, owner, checked, violated, rate in table_rows(tally):
        typer.echo(f"{name:<18} {kind:<4} {owner:<10} {checked:>8} {violated:>6} {rate:>7}")
    typer.echo(f"report written to {out}")
    broken = hard_violations(tally)
    if strict and broken:
        typer.echo(f"error: hard rules broken: {broken}", err=True)
        raise typer.Exit(1)
