"""`runsmart plan ...` commands (owned by the planner work; see issue 3)."""

from __future__ import annotations

import typer

plan_app = typer.Typer(no_args_is_help=True, help="Training plans: replay scenarios, show plans.")
