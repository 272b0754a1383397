# Two commands matter: `make run` (or `make demo`) and `make test`. Everything else is what they call.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGIN := ingest/zonemta-plugin

.PHONY: run demo test lint test-python test-plugin bench clean

$(VENV)/.ready: requirements.txt requirements-dev.txt
	$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(PLUGIN)/node_modules/.ready: $(PLUGIN)/package-lock.json
	cd $(PLUGIN) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.ready
	$(BIN)/python run.py $(ARGS)

demo: $(VENV)/.ready
	$(BIN)/python run.py --demo $(ARGS)

lint: $(VENV)/.ready
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-python: $(VENV)/.ready
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-plugin: $(PLUGIN)/node_modules/.ready
	cd $(PLUGIN) && npm test

test: lint test-plugin test-python

clean:
	rm -rf $(VENV) $(PLUGIN)/node_modules .pytest_cache
