"""`.env.example` is generated from the settings object: every field is in it, with its description."""

from __future__ import annotations

import re
from pathlib import Path

from cli.config import env_name, render_env_example
from runsmart.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = re.compile(r"^(RUNSMART_[A-Z0-9_]+)=", re.MULTILINE)


def test_env_example_is_what_the_generator_writes() -> None:
    # Regenerate with: runsmart config example > .env.example
    assert (ROOT / ".env.example").read_text() == render_env_example()


def test_env_example_names_every_setting_and_nothing_else() -> None:
    written = ASSIGNMENT.findall((ROOT / ".env.example").read_text())
    assert sorted(written) == sorted(env_name(name) for name in Settings.model_fields)
    assert len(written) == len(set(written))


def test_every_setting_has_a_description() -> None:
    missing = [name for name, info in Settings.model_fields.items() if not (info.description or "").strip()]
    assert missing == [], "add a docstring under each of these fields in runsmart/settings.py"


def test_the_example_itself_loads_in_development(tmp_path: Path) -> None:
    # `RUNSMART_X=` lines mean "unset": the copied file must not fail on an empty integer.
    env_file = tmp_path / ".env"
    env_file.write_text(render_env_example().replace("RUNSMART_ENV=production", "RUNSMART_ENV=development"))
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.strava_client_id == 0
    assert settings.database_url.startswith("postgresql+psycopg://")
