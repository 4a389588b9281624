#!/usr/bin/env sh
# Runs the whole test suite against a real redis-server that the suite starts itself.
# Installs what it needs into .venv on first use. Any arguments go to pytest.
set -eu
cd "$(dirname "$0")"
. ./scripts/ensure-venv.sh
ensure_venv "[test]"
exec .venv/bin/python -m pytest "$@"
