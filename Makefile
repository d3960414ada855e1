# Two commands do all set-up on a fresh clone: `make serve` and `make test`.
# Each creates the virtual environment and installs Geoseries first (only when needed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the server on the embedded default (SQLite file + embedded MQTT broker) with demo data.
serve: $(STAMP)
	$(BIN)/geoseries serve --demo $(ARGS)

## Run every check: ruff, mypy --strict, the import layers, and the tests with coverage.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports
	$(BIN)/pytest --cov --cov-report=term $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
