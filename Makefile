# `make run` and `make test` work on a fresh machine with Python 3.11 and make:
# they create .venv, install (again only when pyproject.toml changes) and go.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: install run test test-sqlite test-postgres lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

run: install
	$(BIN)/app-cli serve --host $(HOST) --port $(PORT)

test: test-sqlite test-postgres

test-sqlite: install
	@echo "== test suite on SQLite =="
	TEST_DATABASE_URL= $(BIN)/python -m pytest --cov --cov-fail-under=90 $(PYTEST_ARGS)

test-postgres: install
	@if [ -n "$(TEST_DATABASE_URL)" ]; then \
		echo "== test suite on PostgreSQL =="; \
		$(BIN)/python -m pytest $(PYTEST_ARGS); \
	else \
		echo "== PostgreSQL run not requested: set TEST_DATABASE_URL=postgresql+asyncpg://… to run it =="; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	bash bench/install-tools.sh
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov *.egg-info
