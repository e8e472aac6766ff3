# The two set-up commands of README.md: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
DEMO    ?= demo-shop

.PHONY: demo test lint docs bench clean install install-test

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## the main job on the embedded engine: build the demo shop, import it, print its month
demo: install
	$(BIN)/jinpai demo run --folder $(DEMO)

## the whole test suite, with lint and the generated-docs check
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/bench_import.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
