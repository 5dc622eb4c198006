"""Render benchmark results as Markdown and splice them into README between markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _rss_at(pipeline: dict[str, Any], key: str, moment: str) -> str:
    """ " (119.4 MB at start-up)": where a process's memory stood earlier in the run, when measured."""
    return f" ({pipeline[key]} MB {moment})" if key in pipeline else ""


def render_markdown(r: dict[str, Any]) -> str:
    lines = [f"Measured {r['measured_at']} on {r['machine']} with `make bench`.", ""]
    if "intake" in r:
        i = r["intake"]
        lines += [
            f"**Webhook intake** — wrk, {i['connections']} connections, {i['seconds']} s per server, one uvicorn process each:",
            "",
            _row("server", "events/s", "p50 ms", "p99 ms", "acked", "stored", "durable"),
            _row("---", "---:", "---:", "---:", "---:", "---:", "---"),
        ]
        for name, label in (
            ("bare", "bare ASGI, answers 200 (ceiling)"),
            ("naive", "naive FastAPI: INSERT+COMMIT+Redis push per request"),
            ("ours", "RunSmart API (group commit)"),
        ):
            m = i[name]
            lines.append(
                _row(
                    label,
                    f"{m['rps']:.0f}",
                    m["p50_ms"],
                    m["p99_ms"],
                    m["acked"],
                    m["stored"] if m["stored"] is not None else "–",
                    {True: "yes", False: "NO", None: "–"}[m["durable"]],
                )
            )
        lines += [
            "",
            f"Ours / naive = **{i['ours_vs_naive']}×** (goal ≥ 2×); ours / bare = {i['ours_vs_bare']}×.",
            "",
        ]
    if "economy" in r:
        lines += _economy_lines(r["economy"])
    if "pipeline" in r:
        pp = r["pipeline"]
        lines += [
            f"**Pipeline** — {pp['runs']} runs pushed in a burst, webhook → sync → match → adapt → outbox, "
            f"{pp['workers']} worker processes, {pp['athletes']} athletes with plans:",
            "",
            _row("measure", "value", "goal"),
            _row("---", "---:", "---"),
            _row("no-op Celery task on the same workers (baseline)", f"{pp['noop_tasks_per_s']} /s", ""),
            _row("pipeline", f"{pp['pipeline_runs_per_s']} runs/s", ""),
            _row("pipeline / no-op", f"{pp['pipeline_vs_noop'] * 100:.0f} %", "≥ 50 %"),
            _row(
                "CPU per synced run, by process (ms)",
                ", ".join(f"{k} {v}" for k, v in sorted(pp.get("cpu_ms_per_run", {}).items())),
                "",
            ),
            _row("worker CPU per no-op task (ms)", pp.get("noop_worker_cpu_ms_per_task", "–"), ""),
            *(
                [
                    _row(
                        f"ceiling on {pp['cores']} cores if a run cost the worker no more than a no-op task",
                        f"{pp['ceiling_runs_per_s_with_noop_worker']} runs/s = "
                        f"{pp['ceiling_vs_noop'] * 100:.0f} % of the no-op rate",
                        "",
                    )
                ]
                if "ceiling_vs_noop" in pp
                else []
            ),
            *(
                [
                    _row(
                        "… if runs were batched, so the worker paid only the Strava GET and its parse "
                        f"({pp['fetch_and_parse_cpu_ms']} ms)",
                        f"{pp['batched_ceiling_vs_noop'] * 100:.0f} % of the no-op rate",
                        "",
                    )
                ]
                if "batched_ceiling_vs_noop" in pp
                else []
            ),
            _row(
                "API peak RSS",
                f"{pp['api_peak_rss_mb']} MB{_rss_at(pp, 'api_startup_rss_mb', 'at start-up')}",
                "≤ 120 MB",
            ),
            _row(
                "worker peak RSS",
                f"{pp['worker_peak_rss_mb']} MB{_rss_at(pp, 'worker_rss_before_burst_mb', 'before the burst')}",
                "≤ 150 MB",
            ),
            "",
        ]
    if "import" in r:
        lines += _import_lines(r["import"])
    if "dedupe" in r:
        lines += _dedupe_lines(r["dedupe"])
    if "weekly" in r:
        w = r["weekly"]
        lines += [
            f"**Weekly review** — set-based (one INSERT … SELECT per chunk of 5,000 plans, {w['chunks']} chunks), {w['athletes']:,} synthetic "
            f"athletes in {w['timezones']} timezones in PostgreSQL:",
            "",
            _row("measure", "value", "goal"),
            _row("---", "---:", "---"),
            _row("athletes/s", f"**{w['athletes_per_s']:,}** ({w['seconds']} s)", "≥ 2,000/s"),
            _row("week.reviewed rows written", f"{w['rows_written']:,}", f"{w['athletes']:,}"),
            _row(
                "re-run (idempotent): rows written / seconds",
                f"{w['rerun_rows_written']} / {w['rerun_seconds']}",
                "0",
            ),
            _row(
                f"baseline: per-athlete path (plan JSON + runs in Python), {w['per_athlete_sample']} athletes",
                f"{w['per_athlete_per_s']}/s (bulk = {w['bulk_vs_per_athlete']}×)",
                "—",
            ),
            "",
        ]
    if "latency" in r:
        lt = r["latency"]
        lines += [
            f"**Event → notification latency** — simulator push to the first verified signed `workout.matched` at the "
            f"receiver; {lt['runs']} runs, one every {lt['interval_s']} s, API + {lt['workers']} workers + beat: "
            f"p50 **{lt['p50_ms']} ms**, p95 **{lt['p95_ms']} ms** (goal ≤ 1,000 ms), max {lt['max_ms']} ms; "
            f"{lt['missing']} runs without a notification.",
            "",
        ]
    if "planner" in r:
        pl = r["planner"]
        lines += [
            f"**Planner** — 16-week plan generated and adapted over 12 weeks of runs, {pl['athletes']} synthetic athletes: "
            f"median **{pl['median_ms']} ms** per athlete (p90 {pl['p90_ms']} ms, max {pl['max_ms']} ms; goal ≤ 5 ms).",
            "",
        ]
    return "\n".join(lines)


def _import_lines(i: dict[str, Any]) -> list[str]:
    return [
        f"**File import** — {i['files']:,} synthetic activity files (FIT, GPX and TCX in turn, every tenth gzipped; "
        f"{i['megabytes']} MB), one after the other, each import its own transaction in a fresh PostgreSQL database:",
        "",
        _row("path", "files/s", "share of the libraries alone"),
        _row("---", "---:", "---:"),
        _row("the parser libraries alone: Garmin's FIT SDK, gpxpy, tcxreader (floor)", i["library_alone_per_s"], "1.00"),
        _row("our read: sniffing, unpacking, the XML guard, the same libraries, the checks", i["read_per_s"],
             i["read_share_of_floor"]),
        _row("import without a plan: read, keep the original (fsync), file the run, commit", i["import_without_plan_per_s"],
             i["import_without_plan_share_of_floor"]),
        _row("import with the plan pipeline adapting a 50-week plan after every file", i["import_per_s"],
             i["import_share_of_floor"]),
        "",
    ]  # fmt: skip


def _dedupe_lines(d: dict[str, Any]) -> list[str]:
    return [
        f"**Deduplication** — a season of {d['athletes']} athletes × {d['days']} days: {d['runs']:,} runs in "
        f"{d['deliveries']:,} deliveries in random order from Strava and files (clock skew, GPS distances, treadmill "
        f"distances, runs split in two files, double runs, {d.get('strava_uploaded_twice', 0)} runs on Strava twice), "
        f"{d['deliveries_per_s']} deliveries/s: **{d['duplicates']} duplicates, {d['wrong_merges']} wrong merges** "
        "(goal 0 and 0).",
        "",
    ]


def _economy_lines(e: dict[str, Any]) -> list[str]:
    c, d, p = e["calls_per_run"], e["drain"], e["priority"]
    rhythm = e.get("rhythm")  # absent from results measured before the rhythm phase existed
    http_429 = c["http_429"] + d["http_429"] + (rhythm["http_429"] if rhythm else 0)
    return [
        "**Strava API economy** — every call counted by the simulator, API reads and token requests alike; "
        "the realistic rhythm in-process on a simulated clock, the rest through the real API and 2 workers:",
        "",
        _row("measure", "value", "goal"),
        _row("---", "---:", "---"),
        *(_rhythm_rows(rhythm) if rhythm else []),
        _row(
            f"burst: calls per synced run ({c['runs_synced']} runs, {c['athletes']} athletes; API reads "
            f"and token requests, incl. {c['token_refreshes']} token requests)",
            c["calls_per_synced_run"],
            "≤ 1.02",
        ),
        _row("… including the nightly reconciliation", c["calls_per_run_with_nightly"], "≤ 1.02"),
        _row(
            "weekly full reconciliation, calls per athlete",
            c["weekly_reconcile_calls_per_athlete"],
            "cheap",
        ),
        _row(
            f"drain: calls used of a {d['read_limit_per_15min']}/15 min window ({d['runs_pushed']} runs pushed)",
            f"{d['drain_share'] * 100:.0f} %",
            "≥ 95 %",
        ),
        _row("429s provoked", http_429, "0"),
        _row(
            f"push latency p50 / max during a backfill of {p['backfilled_runs']} runs",
            f"{p['push_latency_p50_s']} s / {p['push_latency_max_s']} s",
            "pushes first",
        ),
        _row(
            "last push synced / backfill finished (s after connect)",
            f"{p['last_push_synced_at_s']} / {p['backfill_finished_at_s']}",
            "pushes first",
        ),
        "",
    ]


def _rhythm_rows(rhythm: dict[str, Any]) -> list[str]:
    # The floor for a run a day with six-hour tokens: one detail read and one token refresh per run, one list
    # page per athlete per weekly pass (docs/strava.md, "Do token refreshes count?").
    return [
        _row(
            f"realistic rhythm: calls per synced run ({rhythm['athletes']} athletes, about a run a day for "
            f"{rhythm['days']} days, 6 h tokens, nightly and weekly reconciliation; "
            f"{rhythm['runs_synced']} of {rhythm['runs']} runs synced)",
            rhythm["calls_per_synced_run"],
            f"floor {rhythm['floor_per_run']}",
        ),
        _row(
            "… of which token requests / detail reads / list reads",
            f"{rhythm['token_requests']} / {rhythm['detail_reads']} / {rhythm['list_reads']} "
            f"of {rhythm['counted_calls']}",
            "",
        ),
    ]


def update_readme(readme: Path, markdown: str) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        return
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{markdown}\n{END}{tail}")
