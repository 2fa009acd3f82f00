# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_OUT ?= demo-out

.PHONY: demo test bench golden helm-test clean bootstrap compiled screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-installs only when pyproject.toml changes; torch comes from the local CPU wheel.
# PyFlink and drain3 go in without their dependencies (the scripts say why).
$(STAMP): $(BIN)/python pyproject.toml scripts/install-pyflink.sh scripts/install-nodeps.sh
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev,embeddings,streaming,streaming-test,infra,llm]'
	./scripts/install-pyflink.sh
	./scripts/install-nodeps.sh
	rm -f $(VENV)/.installed-* && touch $(STAMP)

bootstrap: $(STAMP)
	./scripts/bootstrap-system.sh
	./scripts/fetch-flink-jars.sh
	./scripts/fetch-ui-test-assets.sh
	$(BIN)/python scripts/compile-hot-path.py

# The trace hot path compiled with mypyc (slo_scout/speedups.py); a no-op when current.
compiled: $(STAMP)
	$(BIN)/python scripts/compile-hot-path.py

demo: bootstrap
	$(BIN)/slo-scout demo --out $(DEMO_OUT)

# The hot path's sources are the reference: its tests run on them, then everything compiled.
# --durations: the slowest tests, printed on every run, so CI's log shows where the time goes.
test: bootstrap
	$(BIN)/lint-imports --config pyproject.toml
	$(BIN)/ruff check backend collectors streaming tests bench scripts
	$(BIN)/mypy
	SLO_SCOUT_PURE_PYTHON=1 $(BIN)/python -m pytest -q tests/core/telemetry tests/core/journeys \
		tests/core/simulate tests/test_speedups.py \
		--deselect tests/test_speedups.py::test_the_make_build_compiles_every_hot_module_from_the_current_sources
	$(BIN)/python -m pytest --durations=25

# Each bench prints its figure beside a baseline from the same run (ratios, not bare times).
bench: bootstrap
	$(BIN)/python -m bench           # issue 2: decode vs assembly+fingerprint, memory at 10x input
	$(BIN)/python -m bench.api       # issue 4: journey list and job status under concurrent load
	$(BIN)/python -m bench.ingest    # issue 5: collector ingest and the Flink journey job
	$(BIN)/python -m bench.freshness # issue 10: ack of a trace's last span -> counted, beside the session gap
	$(BIN)/python -m bench.recommendations # issue 13: past day -> next day on the simulated shop, seed pairs
	$(BIN)/slo-scout rca evaluate ../shared/datasets/nezha-trainticket --no-progress # issue 16: AS@k on the public day
	$(BIN)/python -m bench.rca_simulated --seed 1 --faults 30 # issue 16: AS@k on faults injected into the simulated shop, with and without status
	$(BIN)/python -m bench.rca_delayed --seed 1 --faults 30   # issue 16: AS@k on network delays replayed into the public day's traces
	$(BIN)/python -m bench.similar   # issue 14: model load, embedding per journey, nearest-journey query
	$(BIN)/python -m bench.ui        # issue 17: every review UI page's server time on 10,000 journeys, beside the JSON list

helm-test: bootstrap
	$(BIN)/python -m pytest tests/infrastructure

golden: bootstrap
	$(BIN)/python -m tests.golden.regenerate

clean:
	-$(BIN)/python scripts/compile-hot-path.py --clean
	rm -rf $(VENV) .cache $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache

# The review UI's screenshots in docs/images, taken by its browser tests (Chromium).
screenshots: bootstrap
	SLO_SCOUT_UI_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q tests/ui/test_browser.py
