"""`runsmart config example`: .env.example written from the settings object, so the two cannot drift apart."""

from __future__ import annotations

import textwrap

import typer
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from runsmart.settings import Settings

config_app = typer.Typer(no_args_is_help=True, help="Configuration: the RUNSMART_* variables.")

HEADER = """\
# RunSmart Sync configuration. Copy to .env and fill in. Every variable has the RUNSMART_ prefix.
# Generated from runsmart/settings.py by `runsmart config example > .env.example`; edit the settings, not this file.
# With RUNSMART_ENV=production, empty, placeholder or guessable secrets are refused at start-up.
"""
FOOTER = """
# Password of docker-compose.yml's PostgreSQL. Compose also writes it into RUNSMART_DATABASE_URL, so use
# URL-safe characters: python -c 'import secrets; print(secrets.token_urlsafe(24))'
POSTGRES_PASSWORD=
"""


def env_name(field: str) -> str:
    prefix = Settings.model_config.get("env_prefix") or ""
    return f"{prefix}{field}".upper()


def example_value(info: FieldInfo) -> str:
    """The value written after `=`: the field's example if it has one, else its default; secrets stay empty."""
    if info.examples:
        return str(info.examples[0])
    default = info.default
    if default is None or isinstance(default, SecretStr):
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def render_env_example() -> str:
    blocks = [HEADER]
    for name, info in Settings.model_fields.items():
        description = " ".join((info.description or "").split())
        comment = textwrap.fill(description, width=110, initial_indent="# ", subsequent_indent="# ")
        blocks.append(f"{comment}\n{env_name(name)}={example_value(info)}\n")
    return "\n".join(blocks) + FOOTER


@config_app.command("example")
def example_command() -> None:
    """Print .env.example (every variable with its description) to standard output."""
    typer.echo(render_env_example(), nl=False)
