# citybpm — the two commands: `make run` and `make test`. Both do their own set-up.
# The interpreter the venv is built on: Debian's python3 when it can make a venv, else whatever python3 is first on
# the PATH. The same Python 3.11 from Debian runs citybpm 10-20% faster than a plain source build (pyenv's default):
# measured with bench/closed_loop.py and a server on each, cases alternating (session notes, issue 2).
PYTHON ?= $(shell /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
WEB_STAMP := web/node_modules/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000
# run-prod: loopback ports away from a system PostgreSQL (5432) and Redis (6379); WORKERS empty = nproc (at least 2)
PG_PORT    ?= 5433
REDIS_PORT ?= 6380
WORKERS    ?=
PROD_ENV = HOST=$(HOST) PORT=$(PORT) PG_PORT=$(PG_PORT) REDIS_PORT=$(REDIS_PORT) WORKERS=$(WORKERS) VENV=$(VENV)

.PHONY: run run-prod stop-prod test bench install web browser-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The browser UI's libraries (form-js, Vue, Element Plus …) from web/package-lock.json; no bundler.
$(WEB_STAMP): web/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error && touch $(WEB_STAMP); \
	else echo "warning: npm not found: the web pages will lack their libraries (install Node.js and npm)"; fi

install: $(STAMP) $(WEB_STAMP)

# Browser tests drive Debian's Chromium with a CJK font (without it every Chinese character is a box).
browser-deps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi wenquanyi; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else echo "warning: install chromium and fonts-wqy-microhei (apt-get) to run the browser tests"; fi

## run: install, migrate (in place), deploy the shipped processes, seed demo data, serve on :5000 (SQLite)
run: install
	$(VENV)/bin/citybpm setup --demo
	$(VENV)/bin/citybpm serve --host $(HOST) --port $(PORT)

## run-prod: install, then PostgreSQL + Redis on loopback (data in instance/prod/), migrate, deploy, demo data
##           unless CITYBPM_ENV=production, and gunicorn with several workers in the background (api/prod.sh)
run-prod: install
	$(PROD_ENV) api/prod.sh start

## stop-prod: stop what run-prod started (gunicorn gracefully, then Redis and PostgreSQL); the data stays
stop-prod:
	$(PROD_ENV) api/prod.sh stop

## test: install and run the whole suite (SQLite by default; set CITYBPM_TEST_DATABASE_URL for PostgreSQL)
test: install browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

## bench: every benchmark with laptop-sized defaults (all run; the failed ones are listed at the end.
## bench/http_scale.py needs PostgreSQL: its binaries, or CITYBPM_BENCH_DATABASE_URL)
bench: install
	@failed=""; for script in bench/*.py; do echo "== $$script"; $(PY) $$script || failed="$$failed $$script"; done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) instance .pytest_cache web/node_modules
