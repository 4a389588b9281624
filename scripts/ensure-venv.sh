# Sourced by run.sh and test.sh: make .venv hold tutorbot and its dependencies (plus EXTRAS).
# Reinstalls only when pyproject.toml changed since the last install.
ensure_venv() {
  extras="$1"
  python=${PYTHON:-python3}
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "tutorbot needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
    exit 1
  fi
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  stamp=".venv/.installed$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing tutorbot$extras into .venv (first run, or pyproject.toml changed)..." >&2
    log=.venv/install.log
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
           .venv/bin/python -m pip install --disable-pip-version-check -e ".$extras"; } >"$log" 2>&1; then
      cat "$log" >&2
      echo "Installing failed; the log above is also in $log." >&2
      exit 1
    fi
    touch "$stamp"
  fi
}
