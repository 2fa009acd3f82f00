# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_OUT ?= demo-out

.PHONY: demo test bench lint typecheck golden clean bootstrap

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-installs only when pyproject.toml changes; torch comes from the local CPU wheel.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev,embeddings]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

bootstrap: $(STAMP)
	./scripts/bootstrap-system.sh

demo: bootstrap
	$(BIN)/slo-scout demo --out $(DEMO_OUT)

test: bootstrap
	$(BIN)/lint-imports --config pyproject.toml
	$(BIN)/ruff check backend tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: bootstrap
	$(BIN)/python -m bench

golden: bootstrap
	$(BIN)/python -m tests.golden.regenerate

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
