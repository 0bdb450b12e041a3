#!/usr/bin/env bash
# Create the virtual environment and install pinned packages. Usage: bootstrap.sh base|dev
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-base}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Kalipxo needs Python 3.11 or newer ($python is $("$python" --version 2>&1))." >&2
    exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$profile"
# Reinstall only when the lock file changed since the last install.
if [ ! -f "$stamp" ] || [ "requirements/$profile.txt" -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "requirements/$profile.txt"
    touch "$stamp"
fi
if [ ! -d node_modules/chart.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
