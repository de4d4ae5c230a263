#!/bin/sh
# Stops the cluster that scripts/ha/start.sh started in FOLDER (default var/ha).
set -e
cd "$(dirname "$0")/../.."
FOLDER="${1:-$PWD/var/ha}"
exec .venv/bin/python -m tests.ha.patroni stop "$FOLDER"
