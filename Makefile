# Two commands on a fresh clone:
#   make demo   set up .venv and run the end-to-end demo on a local store
#   make test   set up .venv and run lint, types and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck clean

$(STAMP): pyproject.toml compat/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch 2.13.0 comes from this machine's disk; an unpinned torch pulls CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[store,preprocess,dev]'
	$(BIN)/pip install --quiet --no-deps -e compat  # the `atek` package: install it instead of projectaria-atek
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m atek_store demo --workdir demo_output

test: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks tools compat
	$(BIN)/ruff check src tests benchmarks tools compat
	$(BIN)/mypy src compat/src
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo_output
