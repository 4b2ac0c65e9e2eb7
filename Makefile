# One task runner for developers and CI alike: nothing runs in CI that is not here.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Re-install whenever the dependency list changes.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install system-deps run test lint fmt bench soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## make system-deps: the real peers the integration tests drive (Kannel, PostgreSQL,
## Chromium, Node for the SMPP peer), installed with apt when missing
system-deps:
	scripts/system-deps

## make run: the service with its embedded defaults (SQLite, console carrier,
## demo creditor; keys, templates and a ready curl are printed on start)
run: $(STAMP)
	$(BIN)/smsgate demo

## make test: install what the tests need (.venv, and system-deps), then run the whole suite
test: $(STAMP) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check smsgate tests benchmarks
	$(BIN)/ruff format --check smsgate tests benchmarks
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format smsgate tests benchmarks
	$(BIN)/ruff check --fix smsgate tests benchmarks

bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python benchmarks/scan_bench.py
	$(BIN)/python benchmarks/replies_bench.py
	$(BIN)/python benchmarks/api_bench.py
	$(BIN)/python benchmarks/dispatch_bench.py
	$(BIN)/python benchmarks/store_bench.py
	$(BIN)/python benchmarks/hop_bench.py

## make soak (not in CI): the long versions of the load, fuzz, fault and schema-fuzz tests;
## SOAK_STAGES="load faults" runs only those (see scripts/soak)
soak: $(STAMP) system-deps
	scripts/soak $(SOAK_STAGES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
