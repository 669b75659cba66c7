# prefcenter — `make run` serves the API, widget demo and admin pages on an embedded SQLite database;
# `make test` provisions what the suite needs (venv, npm packages, PostgreSQL binaries, Chromium) and runs it all.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NPM_STAMP := widget/node_modules/.installed-stamp

.PHONY: setup run test test-python test-widget lint openapi bench bench-api bench-imports bench-dsr system-deps widget clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(NPM_STAMP): widget/package.json widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

# The widget bundle is checked in (src/prefcenter/web/widget/); rebuild it after changing widget/src.
widget: $(NPM_STAMP)
	cd widget && npm run build

system-deps:
	@scripts/ensure-system-deps.sh

run: setup
	$(BIN)/prefcenter serve --migrate --demo --with-worker

lint: setup
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

test-widget: $(NPM_STAMP)
	cd widget && npm test --silent
	cd widget && npm run --silent check-built

test-python: setup system-deps
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} PREFCENTER_REQUIRE_PG=1 PREFCENTER_REQUIRE_BROWSER=1 \
		$(BIN)/pytest -q -p no:cacheprovider

test: lint test-widget test-python

openapi: setup
	$(BIN)/prefcenter openapi export --output openapi/openapi.json

# Consent-check and everyday-API benchmarks (need wrk: apt-get install -y wrk). BENCH_ARGS="--engine postgres" for PostgreSQL.
bench: setup
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.checks $(BENCH_ARGS)
	$(BIN)/python -m bench.api $(BENCH_ARGS)

# The everyday API path alone (profile reads, saves, grant/withdraw, widget first paint): ratios to /health,
# medians of 3 rounds (each round's ratio to its own bare run; BENCH_ARGS="--rounds N" to change).
bench-api: setup
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.api --rounds 3 $(BENCH_ARGS)

# Import and GDPR-job benchmarks (SQLite and a throwaway PostgreSQL each).
bench-imports: setup
	$(BIN)/python -m bench.imports $(BENCH_ARGS)

bench-dsr: setup
	$(BIN)/python -m bench.dsr $(BENCH_ARGS)

clean:
	rm -rf $(VENV) widget/node_modules var
