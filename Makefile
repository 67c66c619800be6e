# One entry point for setting up, checking, testing and demonstrating the harness.
# Every target installs what it needs first, so a fresh clone needs only `make demo` or `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install toxiproxy check lint format test demo demo-bpjs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

toxiproxy: install
	$(BIN)/harness toxiproxy install

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	$(BIN)/mypy

test: check toxiproxy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: install toxiproxy
	$(BIN)/python -m examples.demo_incident

demo-bpjs: install
	$(BIN)/python -m examples.demo_bpjs

bench: install toxiproxy
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .bin .state .mypy_cache .ruff_cache .pytest_cache
