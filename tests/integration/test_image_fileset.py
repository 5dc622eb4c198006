"""The container image, without Docker: its file set is rebuilt from the Dockerfile and .dockerignore themselves.

The build stage's COPY lines are replayed on the build context (honouring .dockerignore) into a temporary
directory, that directory is built into a wheel and installed into a fresh virtualenv exactly as the runtime
stage installs it. The dependencies come from this checkout's virtualenv through a .pth file (no network), so
only our own code comes from the image's file set. Then every package must import from the installed copy, the
CLI must answer, `runsmart db upgrade` must migrate an empty PostgreSQL database, and every command line in
docker-compose.yml must be one the CLI accepts.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_THE_IMAGE = {"tests", "bench"}  # packages of the checkout that are not the product


# --- .dockerignore ------------------------------------------------------------------------------------


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax (Go's filepath.Match plus `**`): `*` and `?` never cross a `/`."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


@dataclass
class DockerIgnore:
    rules: list[tuple[bool, re.Pattern[str]]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        ignore = cls()
        if not path.exists():
            return ignore
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
            ignore.rules.append((negated, _glob_to_regex(pattern)))
        return ignore

    def excludes(self, relative: str) -> bool:
        """The last rule matching the path or one of its parent folders decides (Docker's order)."""
        parts = relative.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        excluded = False
        for negated, regex in self.rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                excluded = not negated
        return excluded


def context_files(ignore: DockerIgnore) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv")]  # excluded either way; not worth walking
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
            if not ignore.excludes(relative):
                found.append(relative)
    return sorted(found)


# --- Dockerfile ---------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    workdir: str = "/"
    copies: list[tuple[list[str], str]] = field(default_factory=list)  # from the build context only
    runs: list[str] = field(default_factory=list)


def dockerfile_stages(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for instruction in re.sub(r"\\\n", " ", text).splitlines():
        words = shlex.split(instruction, comments=True)
        if not words:
            continue
        keyword, args = words[0].upper(), words[1:]
        if keyword == "FROM":
            stages.append(Stage(name=args[2] if len(args) > 2 and args[1].upper() == "AS" else args[0]))
        elif keyword == "WORKDIR":
            stages[-1].workdir = os.path.join(stages[-1].workdir, args[0])
        elif keyword == "COPY" and not any(arg.startswith("--from") for arg in args):
            paths = [arg for arg in args if not arg.startswith("--")]
            stages[-1].copies.append((paths[:-1], paths[-1]))
        elif keyword == "RUN":
            stages[-1].runs.append(" ".join(args))
    return stages


def building_stage(stages: list[Stage]) -> Stage:
    """The stage that turns the copied source into the installed package (`pip wheel .` or `pip install .`)."""
    for stage in stages:
        if any(re.search(r"pip (wheel|install)\b.*\s\.(\s|$)", run) for run in stage.runs):
            return stage
    raise AssertionError("no stage of the Dockerfile builds the package from the copied source")


def replay_copies(stage: Stage, files: list[str], into: Path) -> Path:
    """The stage's file system after its COPY lines, rooted at `into`; returns its WORKDIR there."""
    workdir = into / stage.workdir.lstrip("/")
    workdir.mkdir(parents=True, exist_ok=True)
    for sources, dest in stage.copies:
        target = (workdir / dest) if not dest.startswith("/") else into / dest.lstrip("/")
        for source in sources:
            source = os.path.normpath(source)
            if source == ".":
                chosen = [(f, f) for f in files]
            elif source in files:
                into_dir = dest.endswith("/") or len(sources) > 1
                chosen = [(source, os.path.basename(source) if into_dir else "")]
            else:
                chosen = [(f, f[len(source) + 1 :]) for f in files if f.startswith(source + "/")]
            for relative, placed in chosen:
                destination = target / placed if placed else target
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / relative, destination)
    return workdir


# --- the image, installed -----------------------------------------------------------------------------


@dataclass
class Image:
    venv: Path
    home: Path

    def run(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("RUNSMART_", "PYTHON"))}
        return subprocess.run(
            [str(self.venv / "bin" / argv[0]), *argv[1:]],
            env={**clean, "RUNSMART_ENV": "test", **(env or {})},
            cwd=self.home,  # not the checkout: nothing may import from the source tree
            capture_output=True,
            text=True,
            timeout=300,
        )


def _checked(argv: list[str], **kwargs: object) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv[:3]}: {done.stdout[-2000:]}{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    base = tmp_path_factory.mktemp("image")
    stage = building_stage(dockerfile_stages((ROOT / "Dockerfile").read_text()))
    source = replay_copies(stage, context_files(DockerIgnore.read(ROOT / ".dockerignore")), base / "fs")
    wheels = base / "wheels"
    # The wheel is built from the replayed file set alone, with this venv's setuptools (offline).
    _checked(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source]
    )
    venv = base / "venv"
    _checked([sys.executable, "-m", "venv", "--without-pip", venv])
    site = next((venv / "lib").glob("python3*/site-packages"))
    # Dependencies from this checkout's venv, after the image's own site-packages on sys.path. Its .pth files
    # (the editable install of this checkout among them) are not processed from a path added this way.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    built = sorted(wheels.glob("runsmart_sync-*.whl"))
    assert built, "no wheel was built"
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    _checked([*pip, "install", "--no-deps", "--no-index", str(built[-1])])
    home = base / "home"
    home.mkdir()
    return Image(venv=venv, home=home)


def test_secrets_and_local_state_stay_out_of_the_build_context() -> None:
    ignore = DockerIgnore.read(ROOT / ".dockerignore")
    kept_out = [
        ".env",
        ".env.production",
        ".venv/bin/python",
        ".git/config",
        "tests/conftest.py",
        "x/y/z.pyc",
    ]
    assert [path for path in kept_out if not ignore.excludes(path)] == []
    needed = ["pyproject.toml", "README.md", "notify/channels.py", "store/migrations/env.py", ".env.example"]
    assert [path for path in needed if ignore.excludes(path)] == []


def product_packages() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_IN_THE_IMAGE


IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
venv, packages = sys.argv[1], sys.argv[2].split(",")
for name in packages:
    package = importlib.import_module(name)
    assert package.__file__.startswith(venv), f"{name} imported from {package.__file__}, not the image"
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if module.name.endswith(".__main__"):
            continue
        loaded = importlib.import_module(module.name)
        assert loaded.__file__.startswith(venv), f"{module.name} from {loaded.__file__}"
print("imported", len(sys.modules))
"""


def test_every_package_of_the_product_imports_from_the_image(image: Image) -> None:
    packages = sorted(product_packages())
    assert len(packages) >= 10
    done = image.run("python", "-c", IMPORT_EVERYTHING, str(image.venv), ",".join(packages))
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_cli_answers_and_migrates_an_empty_database(image: Image, empty_database: str) -> None:
    helped = image.run("runsmart", "--help")
    assert helped.returncode == 0, helped.stderr[-3000:]
    assert "backfill" in helped.stdout
    upgraded = image.run("runsmart", "db", "upgrade", env={"RUNSMART_DATABASE_URL": empty_database})
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    from sqlalchemy import create_engine, text

    engine = create_engine(empty_database)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    heads = sorted(p.name.split("_")[0] for p in (ROOT / "store/migrations/versions").glob("0*.py"))
    assert version == heads[-1]


def compose() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def runsmart_commands() -> list[tuple[str, list[str]]]:
    services = compose()["services"]
    assert isinstance(services, dict)
    found = []
    for name, service in services.items():
        command = service.get("command")
        if isinstance(command, list) and command[0] == "runsmart":
            found.append((name, command[1:]))
    return found


def test_every_compose_command_line_is_one_the_cli_accepts(image: Image) -> None:
    commands = runsmart_commands()
    assert {name for name, _ in commands} >= {"migrate", "api", "worker", "beat"}
    for name, argv in commands:
        # --help after the arguments: an option the command does not have is still an error (exit 2).
        done = image.run("runsmart", *argv, "--help")
        assert done.returncode == 0, f"service {name}: runsmart {' '.join(argv)}: {done.stderr[-1500:]}"


def compose_app_environment(postgres_password: str) -> dict[str, str]:
    """The `environment:` every product service gets, with compose's ${VAR:?message} substituted."""
    environment = compose()["x-app"]["environment"]  # type: ignore[index]
    pattern = re.compile(r"\$\{POSTGRES_PASSWORD(:\?[^}]*)?\}")
    return {key: pattern.sub(postgres_password, str(value)) for key, value in environment.items()}


def filled_env_example(path: Path) -> Path:
    from secrets import token_hex, token_urlsafe

    from cryptography.fernet import Fernet

    answers = {
        "RUNSMART_STRAVA_CLIENT_ID": "40213",
        "RUNSMART_STRAVA_CLIENT_SECRET": token_hex(20),
        "RUNSMART_STRAVA_VERIFY_TOKEN": token_urlsafe(24),
        "RUNSMART_TOKEN_KEY": Fernet.generate_key().decode(),
        "RUNSMART_API_KEYS": token_urlsafe(32),
        "RUNSMART_PUBLIC_BASE_URL": "https://sync.runsmart.coach",
    }
    lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={answers[name]}" if name in answers else line)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_compose_environment_and_a_filled_in_env_example_make_a_valid_production_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from runsmart.settings import Settings

    for name in [n for n in os.environ if n.startswith("RUNSMART_")]:
        monkeypatch.delenv(name)
    environment = compose_app_environment("pg-password-1")
    # compose's `environment:` wins over `env_file:`, as keyword arguments win over the env file here.
    overrides = {key.removeprefix("RUNSMART_").lower(): value for key, value in environment.items()}
    settings = Settings(_env_file=filled_env_example(tmp_path / ".env"), **overrides)  # type: ignore[call-arg]
    assert settings.env == "production"
    assert settings.database_url == "postgresql+psycopg://runsmart:pg-password-1@postgres:5432/runsmart"
    assert settings.redis_url.startswith("redis://redis:")
    with pytest.raises(ValidationError, match="RUNSMART_TOKEN_KEY"):  # the example as shipped is refused
        Settings(_env_file=ROOT / ".env.example", **overrides)  # type: ignore[call-arg]


def test_compose_health_checks_and_restart_policies_fit_the_commands() -> None:
    services = compose()["services"]
    assert isinstance(services, dict)
    assert services["migrate"]["restart"] == "no"  # a one-shot: the others wait for it to complete
    for name in ("postgres", "redis", "api", "worker", "beat"):
        assert services[name]["restart"] in ("unless-stopped", "always"), name
    for name in ("api", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    api_command = services["api"]["command"]
    port = api_command[api_command.index("--port") + 1]
    assert api_command[api_command.index("--host") + 1] == "0.0.0.0"
    assert f"127.0.0.1:{port}/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["api"]["ports"] == [f"{port}:{port}"]
    # The worker's health check asks the Celery app the worker runs for a ping from this container's node.
    assert "-A workers.celery_app inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    worker_command = services["worker"]["command"]
    consumed = set(worker_command[worker_command.index("--queues") + 1].split(","))
    from workers.celery_app import app as celery_app

    routed = {route["queue"] for route in celery_app.conf.task_routes.values()}
    assert routed | {celery_app.conf.task_default_queue} <= consumed  # no task waits on a queue nobody reads
