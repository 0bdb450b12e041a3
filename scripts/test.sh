#!/usr/bin/env bash
# Install what the tests need and run the whole suite (and lint). Extra args go to pytest.
# With DATABASE_URL and REDIS_URL set (as .ci/run does) tests run on PostgreSQL and Redis
# and start real Celery workers; unset, they run on SQLite and skip what needs the services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests..."
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }) >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
set +e
.venv/bin/pytest "$@"
status=$?
set -e
# pytest's 5 means "no tests collected": that is a failure of the suite, not a pass.
exit $status
