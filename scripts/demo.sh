#!/usr/bin/env bash
# The README's first command: install everything, then run the demo on SQLite, ending with PDF reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/csi demo --out "${1:-demo-out}"
