# The two commands of the README: `make run` and `make test`. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format migrate seed bench clean messages

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

## run: install, migrate, load demo data if the database is empty, start web + worker + beat
## (at http://$(HOST):$(PORT)/; `make run PORT=8100 HOST=0.0.0.0` to change). A developer machine:
## DEBUG on unless DJANGO_DEBUG says otherwise (then DJANGO_SECRET_KEY is required).
run: export DJANGO_DEBUG := $(or $(DJANGO_DEBUG),1)
run: export HOST := $(or $(HOST),127.0.0.1)
run: export PORT := $(or $(PORT),8000)
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python scripts/compile_messages.py
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python scripts/run_dev.py

## test: install test dependencies and run the whole suite in parallel
test: $(DEV_STAMP)
	$(BIN)/python scripts/compile_messages.py
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto} --dist loadfile

## lint: ruff, the import layers contract, bandit, and pip-audit where PyPI's advisories can be reached
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/bandit -q -c pyproject.toml -r .
	$(BIN)/python scripts/audit_dependencies.py

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## messages: refresh the translation catalogue after changing strings
messages: export DJANGO_DEBUG := $(or $(DJANGO_DEBUG),1)
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --no-obsolete

## bench: seed the large data set into PostgreSQL (DATABASE_URL) and print the measurements
bench: export DJANGO_SECRET_KEY := $(or $(DJANGO_SECRET_KEY),bench-only-not-a-secret)
bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
