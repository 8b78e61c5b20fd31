# Every target sets itself up: a fresh clone needs nothing but `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DEVSTACK_HOME ?= $(CURDIR)/var/devstack

.PHONY: setup run test test-fast stop airflow-stop stack-start stack-stop stack-status seed lint bench lock reliability

BOARD_JS := plugins/live_to_vod_board/static/board.js

setup: $(STAMP) $(BOARD_JS)

# The board's front end (the Airflow UI plugin): npm ci from the lock, then the bundle. Rebuilt
# when the lock or a source changes; nothing built is committed.
$(BOARD_JS): ui/board/package-lock.json ui/board/package.json $(wildcard ui/board/src/*.js)
	cd ui/board && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

# Reinstall only when a lock or the project metadata change. The development set (dev.lock) holds
# the runtime set (runtime.lock) at the same versions, plus the tools and the local stack's needs.
$(STAMP): requirements/runtime.lock requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip==26.3"
	$(BIN)/python -m pip install -q -r requirements/dev.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

# Two test processes on two cores (a third made the real-time ffmpeg ingest test flaky); a module's
# tests stay on one process (they share its services).
test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=12

# The fault-injection suite, then docs/reliability.md from its own record (var/reliability/).
RELIABILITY_TESTS := tests/live_to_vod/aws/test_transient_faults_against_stack.py \
	tests/live_to_vod/aws/test_permanent_faults_against_stack.py \
	tests/live_to_vod/aws/test_hostile_input_against_stack.py \
	tests/live_to_vod/aws/test_v2_pipeline_against_stack.py \
	tests/e2e/test_crash_recovery.py \
	tests/e2e/test_harvest_notifications_airflow.py::test_per_event_wait_fails_with_the_reason_from_the_notification \
	tests/e2e/test_harvest_notifications_airflow.py::test_the_completion_event_ends_the_wait_and_a_lost_one_is_found_by_the_poll \
	tests/e2e/test_harvest_notifications_airflow.py::test_a_duplicated_or_early_completion_event_is_checked_against_aws
reliability: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile $(RELIABILITY_TESTS)
	$(BIN)/python -m tests.support.reliability_report

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

stack-start: setup
	$(BIN)/python -m devstack start

stack-stop:
	-test -x $(BIN)/python && $(BIN)/python -m devstack stop

stack-status: setup
	$(BIN)/python -m devstack status

seed: stack-start
	$(BIN)/python -m localrun seed

run: setup
	$(BIN)/python -m localrun demo

# Everything `make run` started: the demo's Airflow, then the stack and its encoder.
stop: airflow-stop stack-stop

airflow-stop:
	-test -x $(BIN)/python && $(BIN)/python -m localrun stop

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/harvest_vs_copy.py

# docs/benchmarks.md from the benches' records (bench/results/*.jsonl) and bench/benchmarks.md.template.
.PHONY: bench-report
bench-report: setup
	$(BIN)/python bench/report.py

# Re-resolve both exact locks from requirements/*.in (needs the package index), with Python 3.11
# (the image's): the runtime set alone, then the development set constrained to runtime.lock, so
# every package in both has one version. Each in a fresh venv: a lock is exactly what its .in needs.
LOCK_VENV := $(CURDIR)/var/lock-venv
lock:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "make lock needs Python 3.11 (PYTHON=...)")'
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q "pip==26.3"
	$(LOCK_VENV)/bin/python -m pip install -q -r requirements/runtime.in
	{ echo "# The runtime set: resolved from runtime.in by \`make lock\`; do not edit."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > requirements/runtime.lock
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q "pip==26.3"
	$(LOCK_VENV)/bin/python -m pip install -q -r requirements/dev.in -c requirements/runtime.lock
	{ echo "# The development set: resolved from dev.in with runtime.lock as constraints by \`make lock\`; do not edit."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > requirements/dev.lock
	rm -rf $(LOCK_VENV)
