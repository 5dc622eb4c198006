# The two commands of the README: `make demo` and `make test`. Everything else is a building block.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint typecheck services unit integration e2e chaos bench scorecard clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

## Runs the whole ingest path on an embedded default: SQLite, a filesystem broker, the Strava simulator.
demo: $(STAMP)
	$(BIN)/runsmart demo

## Lint, type checks, the import contract, then every test against PostgreSQL and Redis on localhost.
test: $(STAMP) lint typecheck services
	$(BIN)/pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

services: $(STAMP)
	@$(BIN)/python -m tests.services

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP) services
	$(BIN)/pytest -q -m "integration and not e2e"

e2e: $(STAMP) services
	$(BIN)/pytest -q -m e2e

## The chaos suite at 5x the CI scenario (docs/testing.md); RUNSMART_CHAOS_SCALE=N for any other size.
chaos: $(STAMP) services
	RUNSMART_CHAOS_SCALE=$${RUNSMART_CHAOS_SCALE:-5} $(BIN)/pytest -q -s -m chaos tests/chaos

bench: $(STAMP) services
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || (echo "install wrk (apt-get install wrk)"; exit 1)
	$(BIN)/python -m bench

## The coaching scorecard: 2,000 synthetic athletes through generation and adaptation; writes docs/scorecard.md.
scorecard: $(STAMP)
	$(BIN)/runsmart plan scorecard --athletes $${SCORECARD_ATHLETES:-2000} --processes $${SCORECARD_PROCESSES:-1}

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
