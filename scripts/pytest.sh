#!/usr/bin/env bash
# Run pytest; "no tests collected" (exit 5) is a failure, never a silent pass.
# In parallel with pytest-xdist: PYTEST_WORKERS processes (default: one per CPU; 0 runs in this
# process). --dist loadgroup keeps the tests of one xdist_group on one worker.
set -u
cd "$(dirname "$0")/.."
# Cached bytecode (in the ignored __pycache__ folders) saves each worker seconds of compiling
# and of pytest's assertion rewriting; an environment that turns it off would pay that each run.
unset PYTHONDONTWRITEBYTECODE
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" --dist loadgroup "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$rc"
