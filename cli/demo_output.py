"""What `make demo` prints: each event of the story beside the decision it caused and the message the athlete
received (the text of the received notification, as the athlete's app shows it), then the plan week by week."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.demo_steps import PLAN_UPDATED, Decision, Seen, Told, Via

NO_CHANGE = "no change to your plan"
# What a step that decided nothing shows, by how it arrived (a run, by default: no change to the plan).
NO_DECISION = {Via.PLAN: "a new plan", Via.CONNECTOR: "the plan is unchanged: it is only sent on"}
LABEL_WIDTH = 9
DAY_WIDTH = 10


def day_text(day: date) -> str:
    return f"{day:%a %d %b}"


def _decision_text(d: Decision) -> str:
    week = date.fromisoformat(d.week_start) if d.week_start else None
    about = f" · week of {day_text(week)}" if week else ""
    return f"[bold]{escape(d.code.replace('_', ' '))}[/]{about} · {escape(d.what)}"


def _message_text(m: Seen) -> str:
    lines = [f"[cyan]{escape(m.type)}[/]" + ("" if m.verified else " [red](signature INVALID)[/]")]
    if m.headline:
        lines.append(f"[bold]{escape(m.headline)}[/]")
    if m.body:
        lines.append(escape(m.body))
    lines += [f"• {escape(detail)}" for detail in m.details]
    return "\n".join(lines)


def show_step(console: Console, told: Told) -> None:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=DAY_WIDTH, style="bold")
    grid.add_column(width=LABEL_WIDTH, style="dim")
    grid.add_column(ratio=1)
    grid.add_row(day_text(told.day), "event", escape(told.event))
    for d in told.decisions:
        grid.add_row("", "decision", _decision_text(d))
    if not told.decisions:
        grid.add_row("", "decision", NO_DECISION.get(told.via, NO_CHANGE))
    for m in told.messages:
        grid.add_row("", "message", _message_text(m))
    if not told.messages:
        grid.add_row("", "message", "[dim]none[/]")
    console.print(grid)
    console.print()


@dataclass(frozen=True)
class WeekStory:
    """What the story says about one plan week, for the table."""

    index: int
    label: str


def plan_table(plan: Mapping[str, Any], story: Sequence[WeekStory], upcoming: int = 2) -> Table:
    """The plan week by week (the API's figures): planned against done, beside what the story said."""
    table = Table(title="The plan, week by week (GET /plan)", box=box.SQUARE)
    for column, justify in (
        ("week", "right"),
        ("from", "left"),
        ("the story", "left"),
        ("planned km", "right"),
        ("done km", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    labels = {w.index: w.label for w in story}
    last = max(labels) + upcoming if labels else upcoming
    for week in plan["weeks"]:
        index = int(week["index"])
        if index > last:
            break
        table.add_row(
            str(index + 1),
            day_text(date.fromisoformat(week["start"])),
            labels.get(index, "coming"),
            f"{float(week['planned_km']):.1f}",
            f"{float(week['done_km']):.1f}",
        )
    return table


def summary(console: Console, told: Sequence[Told]) -> None:
    """The story's runs (Strava events and files), the decisions they made or revised, the plan updates the
    athlete got."""
    runs = [t for t in told if t.via in (Via.STRAVA, Via.FILE)]
    strava = sum(1 for t in runs if t.via is Via.STRAVA)
    decided = sum(len(t.decisions) for t in runs)
    updates = sum(1 for t in runs for m in t.messages if m.type == PLAN_UPDATED)
    files = len(runs) - strava
    console.print(
        f"{strava} Strava events and {files} activity file{'' if files == 1 else 's'} · {decided} decisions "
        f"made or revised · {updates} plan.updated messages received (besides the new plan's)"
    )
