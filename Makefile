# evalflow — every target installs what it needs first, so a fresh machine needs only `make`.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export EVALFLOW_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(EVALFLOW_HOME)/dagster_home

.PHONY: install demo test ui bench lint format clean-data

install:  ## create .venv from uv.lock (installs uv itself when missing)
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

demo: install  ## simulate 28 days of traffic, run the whole pipeline, print the report paths
	$(UV) run --frozen evalflow demo

test: install  ## every test (unit + end-to-end through Dagster)
	$(UV) run --frozen pytest -n 2 --dist loadfile

ui: install  ## the Dagster UI and daemon on this project
	$(UV) run --frozen evalflow ui

bench: install  ## benchmarks; figures go to docs/benchmarks.md
	$(UV) run --frozen python -m evalflow.bench

lint: install
	$(UV) run --frozen ruff check evalflow evalflow_tests
	$(UV) run --frozen ruff format --check evalflow evalflow_tests

format: install
	$(UV) run --frozen ruff check --fix evalflow evalflow_tests
	$(UV) run --frozen ruff format evalflow evalflow_tests

clean-data:  ## remove generated data under data/ (keeps the committed config and samples)
	git clean -fdX data/
