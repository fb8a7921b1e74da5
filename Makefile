# tollway — the two commands a new user needs:
#   make demo   set up and run the demo bill cycle
#   make test   set up and run the full test suite (lint, types, layering, tests); .ci/run calls exactly this
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup lint typecheck pytest lock clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/tollway demo

lint: setup
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

typecheck: setup
	$(BIN)/mypy

# A throwaway PostgreSQL server (installed with apt-get if missing) runs beside the suite, so the
# storage and bill-run tests run against SQLite and PostgreSQL alike.
pytest: setup
	eval "$$(scripts/postgres-for-tests.sh start)"; $(BIN)/pytest -q; status=$$?; \
	scripts/postgres-for-tests.sh stop; exit $$status

test: lint typecheck pytest

# Regenerate the lock file after changing dependencies in pyproject.toml (needs uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
