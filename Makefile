# The two commands a new user needs: `make demo` and `make test`. Both build on `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers: `auto` is one per usable core (tests/conftest.py); `make test TEST_WORKERS=0` runs
# serially. worksteal: each worker starts on half the files in order, then takes over the other's leftovers.
TEST_WORKERS ?= auto

.PHONY: install demo test lint format clean

install: $(STAMP)

# --no-compile: pip would byte-compile every installed module (mypy, playwright, the dev tools...),
# half of a cold install's time; Python compiles the modules a command imports the first time it
# runs, and only those.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hub needs Python 3.11 or newer (found %d.%d)" % sys.version_info[:2])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	touch $(STAMP)

# `hub serve --demo` migrates, loads the demo data (once) and serves, booting the servers once.
demo: install
	$(BIN)/hub serve --demo

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	./.ci/ensure-browsers
	./.ci/ensure-dovecot
	$(BIN)/hub playbooks validate
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
