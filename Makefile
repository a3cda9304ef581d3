# The two commands a newcomer needs: `make run` and `make test`. Everything else is helpers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench audit clean state-machine screenshots

# pip's -qq: errors only (not setuptools' notice on every editable install, nor a machine's
# pip configuration warnings); the echo says what the minutes of quiet are for.
$(STAMP): pyproject.toml
	@echo "installing the project and its dependencies into $(VENV) (once, a few minutes)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[dev]'
	@touch $(STAMP)

## run: the whole system (web, admin, API, status pages, Celery worker and beat) with demo data
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	$(PY) manage.py install_letter_fonts
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_reception_demo
	@bash scripts/run.sh

## test: lint, format check, import contracts, types, Django checks, migrations check, the test suite
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) manage.py compile_translations
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	@bash scripts/pytest.sh $(PYTEST_ARGS)

## screenshots: each role's journey and the status page, step by step, in docs/screenshots/
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest -n 0 -q tests/browser/test_journeys.py tests/browser/test_status_browser.py

## bench: every row of docs/performance.md's table beside its baseline (PostgreSQL + Redis + wrk; BENCH_SCALE=30)
bench: $(STAMP)
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; *) echo "make bench refuses: it needs DATABASE_URL=postgres://… (not SQLite) and CELERY_BROKER_URL=redis://…" >&2; exit 2;; esac
	@case "$$CELERY_BROKER_URL" in redis://*) ;; *) echo "make bench refuses: it needs CELERY_BROKER_URL=redis://… (and DATABASE_URL=postgres://…)" >&2; exit 2;; esac
	$(PY) bench/run.py

## audit: bandit on the code, pip-audit on the dependencies (skipped, and said so, offline)
audit: $(STAMP)
	@bash scripts/audit.sh

lint: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## state-machine: redraw docs/state-machine.svg from the code (needs Debian's graphviz)
state-machine: $(STAMP)
	$(PY) manage.py graph_transitions -o docs/state-machine.svg casework.Application
	rm -f docs/state-machine

clean:
	rm -rf var .pytest_cache .mypy_cache
