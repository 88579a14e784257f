#!/usr/bin/env bash
# Installs what the app needs and prepares the embedded database. Safe to run again: it reuses
# what is there. Used by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# System packages: gettext (compilemessages), the CJK fonts and Pango that WeasyPrint needs for
# Chinese PDFs (quotes), and whatever the caller adds (the test command adds Chromium).
need=()
for pkg in gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 ${XIETONG_APT_EXTRA:-}; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Python >= 3.12: .python-version makes pyenv's python3 the 3.12 interpreter in this folder.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  for candidate in python3.13 python3.12; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys' 2>/dev/null; then PY=$candidate; break; fi
  done
fi
"$PY" -c 'import sys; assert sys.version_info >= (3, 12), sys.version' || {
  echo "XieTong needs Python 3.12 or newer (found $("$PY" --version 2>&1))." >&2; exit 1; }

if ! "$PY" -m uv --version >/dev/null 2>&1; then
  log "installing uv"
  "$PY" -m pip install --quiet --disable-pip-version-check uv
fi

log "Python packages (uv sync --frozen)"
"$PY" -m uv sync --frozen --compile-bytecode --python "$("$PY" -c 'import sys; print(sys.executable)')" --quiet

log "front-end packages (npm ci)"
stamp=node_modules/.package-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

log "translations (compilemessages)"
(cd src/xietong && ../../.venv/bin/python ../../manage.py compilemessages --verbosity 0)

if [ "${XIETONG_SKIP_DB:-}" != "1" ]; then
  log "database (migrate)"
  .venv/bin/python manage.py migrate --no-input --verbosity 0
fi
