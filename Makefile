# One entry point for setting up, checking, testing and demonstrating the harness.
# Every target installs what it needs first, so a fresh clone needs only `make demo` or `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Exact versions of every dependency (pyproject.toml keeps lower bounds); `make lock` refreshes it.
CONSTRAINTS ?= constraints.txt
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal
PYTEST_ARGS ?=
# xdist workers: the e2e tier is scenario runs in real time, mostly waiting, so more workers than
# cores; tests/conftest.py keeps each module's unit and integration tests on one worker.
TEST_WORKERS ?= 6
FAST_WORKERS ?= 4
ACTIONLINT_VERSION := v1.7.7

.PHONY: install lock lowest-bounds toxiproxy actionlint check lint format test test-fast example-tests demo demo-bpjs bench dist clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Re-resolve constraints.txt (the newest versions pyproject.toml allows) with uv's resolver.
lock: install
	$(BIN)/python -m pip install --quiet 'uv>=0.9'
	$(UV_COMPILE) --quiet --upgrade -o constraints.txt

# The whole test suite (not the linters: their rules change between versions) at the lower bounds
# of pyproject.toml, in its own virtualenv.
lowest-bounds: toxiproxy
	$(BIN)/python -m pip install --quiet 'uv>=0.9'
	$(UV_COMPILE) --quiet --resolution lowest-direct -o constraints-lowest.txt
	$(MAKE) install VENV=.venv-lowest CONSTRAINTS=constraints-lowest.txt
	.venv-lowest/bin/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The wheel and the sdist, into dist/.
dist: install
	$(BIN)/python -m build

toxiproxy: install
	$(BIN)/harness toxiproxy install

# Lints examples/ci/github-actions.yml in tests/test_ci_examples.py (~15 s to build cold); without
# Go that one test is skipped, nothing else depends on it.
actionlint:
	@if [ "$$(.bin/actionlint -version 2>/dev/null | head -n 1)" = "$(ACTIONLINT_VERSION)" ]; then :; \
	elif command -v go >/dev/null; then \
		GOBIN="$(CURDIR)/.bin" go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION); \
	else echo "actionlint: no Go on PATH; tests/test_ci_examples.py skips its actionlint test"; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	$(BIN)/mypy

# Every test, all three tiers (unit, integration, e2e; see tests/conftest.py).
test: check toxiproxy actionlint example-tests
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The edit loop: the unit and integration tiers only (no whole scenario runs), no lint.
test-fast: install toxiproxy
	$(BIN)/python -m pytest -m "not e2e" -n $(FAST_WORKERS) --dist loadgroup -q $(PYTEST_ARGS)

# The example resilience suite (examples/resilience_tests), on two xdist workers as teams run it.
example-tests: install toxiproxy
	$(BIN)/python -m pytest examples/resilience_tests -q -n 2

demo: install toxiproxy
	$(BIN)/python -m examples.demo_incident

demo-bpjs: install
	$(BIN)/python -m examples.demo_bpjs

bench: install toxiproxy
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .venv-lowest .bin .state .mypy_cache .ruff_cache .pytest_cache dist constraints-lowest.txt
