#!/usr/bin/env bash
# The test command: install what the tests need (setup.sh, plus Debian's Chromium for
# Playwright), then lint, type-check and run the whole suite, one pytest-xdist worker per core
# (a test module stays on one worker: its module-scoped browser is started once). Extra arguments
# go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

XIETONG_SKIP_DB=1 XIETONG_APT_EXTRA=chromium bash scripts/setup.sh

log "ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check --quiet src tests bench
log "mypy"
.venv/bin/mypy src
log "pytest"
.venv/bin/python -m pytest -n auto --dist loadfile "$@"
