# Every target sets itself up: a fresh clone needs nothing but `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DEVSTACK_HOME ?= $(CURDIR)/var/devstack

.PHONY: setup run test test-fast stop airflow-stop stack-start stack-stop stack-status seed lint bench lock reliability

setup: $(STAMP)

# Reinstall only when the lock or the project metadata change.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip==26.3"
	$(BIN)/python -m pip install -q -r requirements.lock
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
	tests/e2e/test_crash_recovery.py
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

# Re-resolve requirements.in into the exact lock (needs the package index).
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install -q -r requirements.in
	/tmp/lock-venv/bin/pip freeze --exclude-editable > requirements.lock
