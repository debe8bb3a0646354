# citybpm — the two commands: `make run` and `make test`. Both do their own set-up.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## run: install, migrate (in place), deploy the shipped processes, seed demo data, serve on :5000 (SQLite)
run: install
	$(VENV)/bin/citybpm setup --demo
	$(VENV)/bin/citybpm serve --host $(HOST) --port $(PORT)

## test: install and run the whole suite (SQLite by default; set CITYBPM_TEST_DATABASE_URL for PostgreSQL)
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## bench: every benchmark with laptop-sized defaults
bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache
