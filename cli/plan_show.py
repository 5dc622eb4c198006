"""`runsmart plan show`: a stored plan as a table of weeks, its decisions with their revisions and reasons, and an
optional chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from composition.root import Container
from plans import commands, views
from plans.service import Loaded
from store.db import UnitOfWork

COLOURS = {"green": "green", "yellow": "yellow", "red": "red", None: "dim"}


def show(c: Container, athlete_id: int, console: Console, chart_path: Path | None) -> None:
    # A read: the unit of work rolls back at the end (the athlete lock is released, nothing is written), so
    # everything is rendered while the rows are still attached to the session.
    with UnitOfWork(c.sessions) as uow:
        loaded = commands.loaded_or_404(uow.session, athlete_id, datetime.now(UTC))
        weeks = views.weeks(loaded)
        render(console, loaded, weeks, views.change_list(uow.session, loaded))
        if chart_path is not None:
            chart(chart_path, loaded, weeks)


def render(
    console: Console, loaded: Loaded, weeks: list[views.WeekSummary], changes: list[dict[str, Any]]
) -> None:
    row, plan = loaded.row, loaded.view
    goal = plan.goal
    console.print(
        f"[bold]athlete {row.athlete_id}[/] plan {row.id} v{row.version} ({row.source}) — {goal.kind.value} "
        f"{(goal.distance_m or 0) / 1000:g} km on {goal.date.isoformat()}, today {loaded.today.isoformat()} "
        f"({row.timezone})"
        + (f", paused until {loaded.athlete.paused_until}" if loaded.athlete.paused_until else "")
    )
    table = Table("week", "start", "phase", "planned km", "done km", "hard share planned/done", "changes")
    for w in weeks:
        style = COLOURS[w.colour]
        table.add_row(
            str(w.index + 1),
            w.start,
            w.phase,
            f"{w.planned_km:.1f}",
            f"[{style}]{w.done_km:.1f}[/]",
            f"{w.planned_hard_share:.0%} / {w.done_hard_share:.0%}",
            ", ".join(w.changes),
        )
    console.print(table)
    console.print(decision_table(changes) if changes else "[dim]no decisions yet[/]")


def decision_table(changes: list[dict[str, Any]]) -> Table:
    """One row per decision (docs/api.md#decisions): its state, its revisions by plan version, its reason."""
    listed = Table("decision", "state", "revisions", "reason", show_lines=True)
    for c in changes:
        state = str(c["status"])
        if state == "active" and not c["active"]:
            state = "superseded"  # stored before decisions were kept: a later version replaced it
        history = ", ".join(f"r{r['revision']} v{r['version']} {r['status']}" for r in c["revisions"])
        listed.add_row(str(c["id"]), state, history, str(c["reason"]))
    return listed


def chart(path: Path, loaded: Loaded, weeks: list[views.WeekSummary]) -> None:
    """Planned vs completed weekly volume, the planned and done intensity share, the changed weeks marked."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    x = list(range(1, len(weeks) + 1))
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.bar(
        [i - 0.2 for i in x], [w.planned_km for w in weeks], width=0.4, label="planned km", color="#9ecae1"
    )
    ax.bar([i + 0.2 for i in x], [w.done_km for w in weeks], width=0.4, label="done km", color="#3182bd")
    for i, w in zip(x, weeks, strict=True):
        if w.changes:
            ax.annotate("▼ changed", (i, max(w.planned_km, w.done_km)), ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("plan week")
    ax.set_ylabel("km")
    share = ax.twinx()
    share.plot(x, [w.planned_hard_share * 100 for w in weeks], "--", color="#e6550d", label="planned hard %")
    share.plot(x, [w.done_hard_share * 100 for w in weeks], "-o", color="#a63603", label="done hard %", ms=3)
    share.set_ylabel("time at threshold or faster (%)")
    lines = ax.get_legend_handles_labels()
    more = share.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    ax.set_title(f"athlete {loaded.row.athlete_id}: plan v{loaded.row.version}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
