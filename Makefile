# optirec: one command per job. Every target sets up what it needs first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
OPTIREC := $(VENV)/bin/optirec
STAMP := $(VENV)/.installed
DATASETS ?= ../shared/datasets

.PHONY: install demo serve test lint typecheck bench bench-ingest bench-model bench-serve bench-explore bench-experiments bench-loop bench-storefront bench-console bench-served-log bench-signal-log test-cluster bench-cluster clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(OPTIREC) migrate
	OPTIREC_TRAINING_MAX_SECONDS=$${OPTIREC_TRAINING_MAX_SECONDS:-120} $(OPTIREC) demo
	$(OPTIREC) serve --host 127.0.0.1 --port 8000

serve: install
	$(OPTIREC) migrate
	$(OPTIREC) serve

test: install lint typecheck
	$(PY) -m pytest -q

# The multi-host test: network namespaces as hosts, HAProxy in front (docs/deploy.md); needs root, skips otherwise.
test-cluster: install
	$(PY) -m pytest -q -m cluster tests/cluster

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy

bench: bench-ingest bench-model bench-serve bench-explore bench-experiments bench-storefront

bench-ingest: install
	$(PY) -m benchmarks.ingest

bench-model: install
	$(PY) -m benchmarks.model --data $(DATASETS)/amazon-beauty

bench-serve: install
	$(PY) -m benchmarks.serve

bench-explore: install
	$(PY) -m benchmarks.explore

bench-experiments: install
	$(PY) -m benchmarks.experiments

# three seeds as three processes (a shared machine gives them more of itself than one), then reported together
bench-loop: install
	mkdir -p var
	for s in 1 2 3; do $(PY) -m benchmarks.loop --seeds 1 --first-seed $$s --save var/bench-loop-seed$$s.json \
		> var/bench-loop-seed$$s.log 2>&1 & done; wait
	$(PY) -m benchmarks.loop --combine var/bench-loop-seed1.json var/bench-loop-seed2.json var/bench-loop-seed3.json \
		--png docs/results/bench-loop.png

bench-storefront: install
	$(PY) -m benchmarks.storefront

bench-console: install
	$(PY) -m benchmarks.console

bench-served-log: install
	$(PY) -m benchmarks.servedlog

bench-signal-log: install
	$(PY) -m benchmarks.signallog

bench-cluster: install
	$(PY) -m benchmarks.cluster.bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
