"""`make services`: check that the PostgreSQL and Redis the tests need are reachable, or say how to start them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import psycopg
import redis

from tests.conftest import PG_HOST, REDIS_URL


def main() -> int:
    problems = []
    dsn = PG_HOST.replace("postgresql+psycopg://", "postgresql://") + "/test"
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as error:
        problems.append(
            f"PostgreSQL is not reachable at {dsn}: {error}\n"
            "  start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "  (trust auth for user root, database `test`), or point RUNSMART_TEST_PG at another server."
        )
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as error:
        problems.append(
            f"Redis is not reachable at {REDIS_URL}: {error}\n"
            "  start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''\n"
            "  or point RUNSMART_TEST_REDIS at another server."
        )
    for binary, package, needed_by in TOOLS:
        if ensure_tool(binary, package) is None:
            message = f"{binary} is missing ({needed_by}): apt-get install -y {package}"
            if os.environ.get("CI"):
                problems.append(message)  # in CI a skipped check would hide a missing install step
            else:
                print(message + "; those tests are skipped")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"services ok: PostgreSQL {dsn}, Redis {REDIS_URL}")
    return 1 if problems else 0


# Debian tools some tests drive, installed here (as root) when missing, so no test downloads anything itself.
TOOLS = [
    ("chromium", "chromium", "the plan page's browser test"),
    ("promtool", "prometheus", "the alert rules' checks"),
]


def ensure_tool(binary: str, package: str) -> str | None:
    """The tool's path, installing its Debian package first when it is missing and we are root; None when it
    cannot be had."""
    found = shutil.which(binary)
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(install, env=env, check=False)
    return shutil.which(binary)


if __name__ == "__main__":
    sys.exit(main())
