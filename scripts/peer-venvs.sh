#!/usr/bin/env bash
# Builds the two PLS cross-check/benchmark peers, each in its own venv in the repo root (gitignored):
#   .venv-plspm   plspm 0.5.7  (needs pandas < 3)
#   .venv-seminr  seminr 0.2.1 (GPL-3.0: a test/benchmark peer only, never imported by our package)
# tests/analytics/pls/test_peers.py and bench/pls.py run them in subprocesses. Idempotent: a venv whose stamp
# matches its requirements is left alone. Usage: bash scripts/peer-venvs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${CSI_PYTHON:-python3}"

build() {  # build VENV REQUIREMENT...
  local venv="$1"
  shift
  local stamp
  stamp="$venv/.installed-$(echo "$*" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ]; then
    return 0
  fi
  echo "peer-venvs: building $venv ($*)"
  rm -rf "$venv"
  "$PY" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "$@"
  touch "$stamp"
}

build .venv-plspm "plspm==0.5.7" "pandas<3"
build .venv-seminr "seminr[pandas]==0.2.1"
.venv-plspm/bin/python -c "import plspm.plspm"
.venv-seminr/bin/python -c "import seminr"
echo "peer-venvs: ok"
