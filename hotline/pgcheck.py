"""Is the PostgreSQL of HOTLINE_DATABASE_URL reachable? Exit 0 if so.

Without CI it exits 0 even when PostgreSQL is missing (printing why, so that `make test` can
skip the PostgreSQL run on a laptop); with CI=true a missing server is exit 1: CI must fail
loudly, never skip.
"""

import os
import sys

import dj_database_url
import psycopg


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    url = next(a for a in argv if not a.startswith("--"))
    cfg = dj_database_url.parse(url)
    try:
        with psycopg.connect(
            host=cfg["HOST"],
            port=cfg["PORT"] or 5432,
            user=cfg["USER"],
            password=cfg["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=5,
        ) as conn:
            conn.execute("SELECT 1")
        return 0
    except psycopg.Error as exc:
        ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
        if quiet:
            return 1
        print(f"PostgreSQL unreachable at {cfg['HOST']}:{cfg['PORT']}: {exc}", file=sys.stderr)
        if ci:
            print("CI=true: the PostgreSQL test run is required; failing.", file=sys.stderr)
            return 1
        print(
            "Skipping the PostgreSQL test run (set CI=true to make this a failure).",
            file=sys.stderr,
        )
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
