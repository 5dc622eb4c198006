"""`make services`: check that the PostgreSQL and Redis the tests need are reachable, or say how to start them."""

from __future__ import annotations

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
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"services ok: PostgreSQL {dsn}, Redis {REDIS_URL}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
