#!/usr/bin/env bash
# The run command: set up, load the demo group, and serve at http://127.0.0.1:8000 with a
# background-task worker and the scheduler beside the web server. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

.venv/bin/python manage.py demo_data

VAR=${XIETONG_VAR_DIR:-var}
mkdir -p "$VAR"
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
pids=()
# Stop in bounded time: ask each process to stop, give them 15 seconds, then kill whatever is left,
# so Ctrl-C never hangs on a busy worker or a slow request.
cleanup() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 75); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

.venv/bin/python manage.py db_worker --queue-name default >"$VAR/worker.log" 2>&1 &
pids+=($!)
.venv/bin/python manage.py run_scheduler >"$VAR/scheduler.log" 2>&1 &
pids+=($!)

printf '\n\033[1;32mXieTong is running at http://%s:%s\033[0m  (worker and scheduler logs in %s/)\n\n' "$HOST" "$PORT" "$VAR"
.venv/bin/gunicorn xietong.config.wsgi --bind "$HOST:$PORT" --workers "${WEB_WORKERS:-2}" --threads 4 --graceful-timeout 10 \
  --access-logfile - --error-logfile - &
pids+=($!)
wait "${pids[-1]}"
