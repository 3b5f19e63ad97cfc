# DentalBridge: `make run` and `make test` do all set-up (README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON := $(shell scripts/find-python)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON := $(PYTHON)
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Compiled bytecode at install: the sandboxed parsers start a fresh interpreter per file, and
# importing trimesh, scipy and pydicom from source costs seconds each time.
export UV_COMPILE_BYTECODE := 1

.PHONY: help run test deps frontend messages lint typecheck test-sqlite test-postgres schema bench clean

help:
	@echo "make run   — install, migrate, load demo data and serve http://127.0.0.1:8000"
	@echo "make test  — lint and run the whole suite on SQLite and PostgreSQL (browser tests included)"
	@echo "make bench — run the benchmarks in bench/"

$(UV):
	@test -n "$(PYTHON)" || exit 1
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(BIN)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

deps: $(BIN)/.synced

frontend/dist/app.js: frontend/package.json frontend/package-lock.json frontend/vite.config.js $(wildcard frontend/src/*)
	@command -v npm >/dev/null || { echo "Node.js and npm are needed (apt-get install nodejs npm)."; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	@touch $@

frontend: frontend/dist/app.js

messages: deps
	@scripts/apt-ensure msgfmt gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.tools -v0

run: deps frontend messages
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py seed_demo
	@echo "== DentalBridge on http://127.0.0.1:8000 (Ctrl-C stops server, worker and scheduler)"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/python manage.py db_worker --queue-name '*' & \
	$(BIN)/python manage.py crontask --no-heartbeat & \
	$(BIN)/granian --interface wsgi --host 127.0.0.1 --port $${PORT:-8000} --workers 1 \
	  --blocking-threads 4 --no-ws config.wsgi:application

# Lint: style, formatting, the import layers (pyproject.toml [tool.importlinter]) and types.
# .pre-commit-config.yaml runs the same tools for contributors who want them before each commit.
lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory typecheck

# mypy with django-stubs, configured in pyproject.toml [tool.mypy] (strict for the privacy kernel).
typecheck: deps
	$(BIN)/mypy

test-deps: deps frontend messages
	@scripts/apt-ensure /usr/bin/chromium chromium

test: lint test-deps
	$(BIN)/python manage.py makemigrations --check --dry-run -v1
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite:
	@echo "== test suite on SQLite"
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The standalone tier (benchmark smoke tests, make run: their own processes and databases, the
# same whatever DATABASE_URL says) runs in the SQLite run only; a -m in PYTEST_ARGS overrides.
test-postgres:
	@echo "== test suite on PostgreSQL"
	DATABASE_URL=$$(scripts/ensure-postgres) $(BIN)/pytest -n 2 -m "not standalone" $(PYTEST_ARGS)

schema: deps
	$(BIN)/python manage.py spectacular --file schema/openapi.json --format openapi-json --validate --fail-on-warn

bench: deps frontend
	@scripts/apt-ensure /usr/bin/chromium chromium
	$(BIN)/python bench/run.py

clean:
	rm -rf .tools $(VENV) frontend/node_modules frontend/dist var
