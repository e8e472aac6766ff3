# The two set-up commands of README.md: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
DEMO    ?= demo-shop

.PHONY: demo test lint docs bench clean install install-test serve

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9

# --compile-bytecode: every later start reads compiled modules, also where Python may not write
# them (PYTHONDONTWRITEBYTECODE, a read-only install); `jinpai --help` took 4.6 s without, 1.7 s with
$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[dev,spark]"
	touch $@

install: $(VENV)/.installed

## the main job on the embedded engine: build the demo shop, import it, print its month
demo: install
	$(BIN)/jinpai demo run --folder $(DEMO)

## the web app and API on the demo shop: http://127.0.0.1:8000 (sign in as demo / demo-password)
SERVE_HOME    ?= .jinpai
DEMO_PASSWORD ?= demo-password
serve: install
	test -d $(DEMO) || $(BIN)/jinpai demo run --folder $(DEMO)
	JINPAI_HOME=$(SERVE_HOME) $(BIN)/jinpai import $(DEMO)
	printf '%s\n' "$(DEMO_PASSWORD)" | JINPAI_HOME=$(SERVE_HOME) $(BIN)/jinpai user add demo --role owner --password-stdin || true
	JINPAI_HOME=$(SERVE_HOME) $(BIN)/jinpai serve --host 127.0.0.1 --port 8000

## the whole test suite, with lint and the generated-docs check; one worker per core, a test
## module per worker at a time (the Spark golden cases share one session in their module)
test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n auto --dist loadfile

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

## regenerate docs/metrics.md and docs/cli.md from the code (CI checks they are current)
docs: install
	$(BIN)/python -m jinpai.docs

## benchmarks, each against a baseline measured in the same run (figures in bench/out/)
bench: install
	$(BIN)/python bench/bench_import.py --rows 1000000
	$(BIN)/python bench/bench_metrics.py --scales 1e6,5e6,20e6
	$(BIN)/python bench/bench_web.py --users 20,50 --duration 20

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
