"""The shipped Prometheus alert rules and Grafana dashboard are valid: promtool checks the rules' syntax, runs
their unit tests (each alert fires on its state, and only then), and parses every dashboard query.
tests/integration/test_ops_metrics.py checks that every metric they name is exported."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
RULES = MONITORING / "prometheus" / "alerts.yml"
DASHBOARD = MONITORING / "grafana" / "runsmart.json"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    return found


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_alert_rules_pass_promtool_check() -> None:
    result = run("check", "rules", RULES.name, cwd=RULES.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_on_its_state_and_only_then() -> None:
    result = run("test", "rules", "alerts.test.yml", cwd=RULES.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_the_brief_needs_exists_with_a_severity_and_a_summary() -> None:
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    by_name = {rule["alert"]: rule for rule in rules}
    for name in (
        "RunSmartNotificationDeadLetters",
        "RunSmartInboxStalled",
        "RunSmartStravaApplicationCredentialsRefused",
        "RunSmartStravaBudgetExhaustedBeforeNoon",
    ):
        assert name in by_name
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
    assert "runsmart_strava_app_fault" in by_name["RunSmartStravaApplicationCredentialsRefused"]["expr"]


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 10
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    # promtool parses PromQL only inside rule files: each query becomes a recording rule.
    recording = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [{"record": f"dashboard:q{n}", "expr": e} for n, e in enumerate(exprs)],
            }
        ]
    }
    (tmp_path / "dashboard.rules.yml").write_text(yaml.safe_dump(recording))
    result = run("check", "rules", "dashboard.rules.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
