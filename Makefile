# rgpd — two entry points: `make demo` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
PYTEST_WORKERS ?= 2

.PHONY: demo test lint typecheck pytest system-deps services bench clean i18n

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

NODE_STAMP := node_modules/.installed-$(shell md5sum < package-lock.json | cut -c1-8)
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP)

install: $(STAMP)

## Debian packages the tests and reports use (chromium for browser tests, pango for PDF).
system-deps:
	@bash .ci/system-deps.sh

## Start the local PostgreSQL and MariaDB if they are down (the DB tests need both).
services:
	@bash .ci/services.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check rgpd tests benchmarks
	$(VENV)/bin/ruff format --check rgpd tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP) system-deps services $(NODE_STAMP)
	RGPD_REQUIRE_SERVICES=1 $(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

demo: $(STAMP)
	@bash .ci/system-deps.sh --runtime
	@bash scripts/demo.sh

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _n:1,2 -k pgettext:1c,2 -k _p:1c,2 -k NP_:1c,2 -k tr -k translate -k translate_in:2 --no-location --sort-output -o rgpd/locale/rgpd.pot rgpd
	$(VENV)/bin/pybabel update -i rgpd/locale/rgpd.pot -d rgpd/locale -D rgpd -l fr --no-fuzzy-matching --width 100
	$(VENV)/bin/pytest -q tests/test_i18n.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-workdir
