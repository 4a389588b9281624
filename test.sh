#!/usr/bin/env sh
# Runs the whole test suite against a real redis-server that the suite starts itself.
# Installs what it needs into .venv on first use. With no arguments it first runs the typing and
# lint gate (ruff format --check, ruff check, mypy --strict); any arguments go to pytest alone.
set -eu
cd "$(dirname "$0")"
. ./scripts/ensure-venv.sh
ensure_venv "[test]"
if [ "$#" -eq 0 ]; then
  .venv/bin/ruff format --check --quiet bot tests bench
  .venv/bin/ruff check --quiet bot tests bench
  .venv/bin/mypy --strict bot
fi
exec .venv/bin/python -m pytest "$@"
