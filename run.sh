#!/usr/bin/env sh
# Runs tutorbot. With no settings: the terminal tutor on an embedded Redis and the offline advisor.
# Installs what it needs into .venv on first use. Any arguments go to `tutorbot`.
set -eu
cd "$(dirname "$0")"
. ./scripts/ensure-venv.sh
ensure_venv ""
# The tutor names this command when it says how to come back.
TUTORBOT_LAUNCHER="$0" exec .venv/bin/tutorbot "$@"
