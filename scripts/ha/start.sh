#!/bin/sh
# A local three-member Patroni cluster with one etcd in FOLDER (default var/ha), for trying a
# failover by hand; prints the application's HOTLINE_DATABASE_URL. Stop it with scripts/ha/stop.sh.
set -e
cd "$(dirname "$0")/../.."
FOLDER="${1:-$PWD/var/ha}"
exec .venv/bin/python -m tests.ha.patroni start "$FOLDER"
