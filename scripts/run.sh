#!/usr/bin/env bash
# Start the web app, a Celery worker and the beat scheduler; Ctrl-C stops all of them.
set -u
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
PY=.venv/bin/python

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

# The broker's folders and beat's schedule file are under VAR_DIR (config/settings.py).
.venv/bin/celery -A config worker --beat --loglevel=INFO --concurrency=2 &
pids+=($!)
# Django's development server; the banner below says so, and README.md's Production section
# says what serves in production, so its own warning is not repeated on every start.
DJANGO_RUNSERVER_HIDE_WARNING=true $PY manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)

sleep 2
cat <<MSG

  Asylum casework is running (development servers; for production see README.md).
    web / status page  http://127.0.0.1:${PORT}/status/
    admin              http://127.0.0.1:${PORT}/admin/
    API docs           http://127.0.0.1:${PORT}/api/docs/
    health             http://127.0.0.1:${PORT}/healthz
  Database: ${DATABASE_URL:-SQLite (${VAR_DIR:-var}/db.sqlite3)}   Broker: ${CELERY_BROKER_URL:-filesystem:// (${VAR_DIR:-var}/broker)}
  Demo logins (password: ${DEMO_PASSWORD:-demo-Casework-2026}):
    admin, caseworker, decider, appeals, registrar, reception, integration, auditor
  Press Ctrl-C to stop everything.

MSG
wait -n "${pids[@]}"
stop
