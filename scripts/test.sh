#!/usr/bin/env bash
# The test command: install what the tests need (Debian's Chromium for Playwright, CJK fonts,
# gettext), then lint, type-check and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

need=()
for pkg in chromium fonts-noto-cjk gettext; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

XIETONG_SKIP_DB=1 bash scripts/setup.sh

log "ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check --quiet src tests bench
log "mypy"
.venv/bin/mypy src
log "pytest"
.venv/bin/python -m pytest "$@"
