# The front door. `make demo` and `make test` work on a fresh machine with Python >= 3.11.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

# The demo runs against the built-in sandbox, served by the app itself.
DEMO_ENV := DEBUG=1 SANDBOX_ENABLED=1 PORT=$(PORT) \
	PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) \
	VISMA_CONNECT_URL=http://127.0.0.1:$(PORT)/sandbox/visma \
	VISMA_API_URL=http://127.0.0.1:$(PORT)/sandbox/visma \
	PLEO_AUTH_URL=http://127.0.0.1:$(PORT)/sandbox/pleo \
	PLEO_API_URL=http://127.0.0.1:$(PORT)/sandbox/pleo \
	VISMA_CLIENT_ID=$${VISMA_CLIENT_ID:-demo-visma-client} \
	VISMA_CLIENT_SECRET=$${VISMA_CLIENT_SECRET:-demo-visma-secret} \
	PLEO_CLIENT_ID=$${PLEO_CLIENT_ID:-demo-pleo-client} \
	PLEO_CLIENT_SECRET=$${PLEO_CLIENT_SECRET:-demo-pleo-secret}

.PHONY: help install demo test test-postgres lint format bench reliability clean browser

help:
	@echo "make demo   install into .venv, prepare the demo and run web app + worker on PORT=$(PORT)"
	@echo "make test   install into .venv and run the whole test suite"
	@echo "make lint   ruff check, ruff format --check, mypy, import contracts (lint-imports)"
	@echo "make bench  run the benchmarks and print figures (BENCH_ARGS='--scale small')"
	@echo "make reliability  the fault campaign (RELIABILITY_ARGS='--jobs 500 --seed 7 ...')"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,redis]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(DEMO_ENV) $(BIN)/python manage.py demo_prepare
	$(DEMO_ENV) $(BIN)/python manage.py serve --port $(PORT)

# Browser tests drive Debian's Chromium; install it when we can (root with apt), else they skip.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "Could not install chromium: browser tests will be skipped"; \
	fi

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The database-bound tests again on PostgreSQL (row locks, concurrent workers).
test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pleo_visma} \
		$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy config integrations benchmarks reliability
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every scenario at full scale (export, pacing, sync, admin list, webhooks); BENCH_ARGS="--scale
# small" or "--only webhooks" for less. PostgreSQL (and Redis) when DATABASE_URL (REDIS_URL) say so.
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# The fault campaign: export jobs under injected faults with real workers; exits 1 on any loss,
# duplicate, wrong status or stuck run. PostgreSQL at DATABASE_URL and Redis at REDIS_URL when set.
reliability: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py reliability $(RELIABILITY_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
