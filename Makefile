# copperhub: `make demo` sets up and runs the demo on the embedded default; `make test` installs and tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
SANDBOX_PORT ?= 8765
DEMO_COMPANIES ?= 1662
DEMO_SEED ?= 7
# The demo talks to the local Copper sandbox, never to the real Copper.
DEMO_ENV := COPPER_BASE_URL=http://127.0.0.1:$(SANDBOX_PORT) COPPER_API_KEY=sandbox-key COPPER_USER_EMAIL=demo@example.com

.PHONY: install demo test lint bench chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes; dependencies are read from it (one list, pinned).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(BIN)/pip install --quiet -r $(VENV)/requirements.txt
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's Chromium (no downloaded browsers); install it when we may.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing: sudo apt-get install chromium (browser tests need it)"; fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(MANAGE) makemigrations --check --dry-run

test: install chromium lint
	$(BIN)/pytest

demo: install
	$(MANAGE) migrate --noinput
	$(DEMO_ENV) $(MANAGE) demo_setup --companies $(DEMO_COMPANIES) --seed $(DEMO_SEED) --port $(PORT)
	@echo "Starting the Copper sandbox (:$(SANDBOX_PORT)), the worker and the web server (:$(PORT)). Ctrl-C stops all."
	@trap 'kill 0' EXIT INT TERM; \
	$(DEMO_ENV) $(MANAGE) copper_sandbox --port $(SANDBOX_PORT) --seed $(DEMO_SEED) --companies $(DEMO_COMPANIES) & \
	$(DEMO_ENV) $(MANAGE) qcluster & \
	$(DEMO_ENV) $(MANAGE) runserver --noreload 127.0.0.1:$(PORT)

bench: install
	$(MANAGE) bench all

clean:
	rm -rf $(VENV) var
