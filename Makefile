# Two entry points for a fresh machine (see README): `make site` and `make test`.
# The distribution's optimised CPython when there is one (scripts/pick-python.sh says why).
PYTHON ?= $(shell scripts/pick-python.sh)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site serve test perf clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[test]'
	touch $(STAMP)

## Set up, then validate and build the shipped catalogue into build/
site: $(STAMP)
	$(BIN)/gkml build

## Set up, then preview with live reload on http://127.0.0.1:8000/
serve: $(STAMP)
	$(BIN)/gkml serve

## Set up (Chromium from Debian when missing), then run the whole test suite
test: $(STAMP)
	scripts/ensure-chromium.sh
	$(BIN)/pytest

## The benchmark (not part of `make test`)
perf: $(STAMP)
	$(BIN)/python -m tests.perf.benchmark

clean:
	rm -rf build .pytest_cache
