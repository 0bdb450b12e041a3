#!/usr/bin/env bash
# Install everything and run Kalipxo with demo data on the embedded default (SQLite,
# Celery tasks in-process). Usage: scripts/demo.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-${PORT:-8000}}"
scripts/bootstrap.sh base
export DEBUG="${DEBUG:-1}"
export STAFF_TWO_FACTOR="${STAFF_TWO_FACTOR:-0}"
# Commands typed in another terminal (the README's API tour) must see the same settings:
# without DEBUG, settings refuse to start with no SECRET_KEY.
if [ ! -e .env ]; then
    cat > .env <<'ENV'
# Written by scripts/demo.sh for the embedded demo (SQLite, tasks in-process); never committed.
# Delete it, or replace it with a copy of .env.example, to run anything else.
DEBUG=1
# US-style rules: 24% backup withholding from payees with no tax form on file.
WITHHOLDING_RATE_WITHOUT_FORM=0.24
# The demo's staff login reaches the console at once: no two-factor set-up (the console says so).
STAFF_TWO_FACTOR=0
ENV
    echo "Wrote .env (DEBUG=1) for the demo."
fi
py=.venv/bin/python
$py manage.py migrate --no-input -v0
$py manage.py load_demo_data
$py manage.py create_demo_logins
cat <<MSG

  Kalipxo is running at http://127.0.0.1:$port/
    admin console and Django admin: user "admin", password "kalipxo-demo"
    artist dashboard:               user "artist", password "kalipxo-demo"
    songwriter's works:             user "writer", password "kalipxo-demo"
    API docs:                       http://127.0.0.1:$port/api/docs/

MSG
exec $py manage.py runserver "127.0.0.1:$port"
