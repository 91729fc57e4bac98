# The two commands a newcomer needs: `make demo` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
PORT ?= 8000
SMARTISP_PORT ?= 8001
GATEWAY_PORT ?= 8002
MESSAGING_PORT ?= 8003

.PHONY: setup system-libs test demo demo-reset lint format bench audit messages browser clean

setup: system-libs $(STAMP) locale/.compiled

# WeasyPrint (invoice and receipt PDFs) draws with Debian's Pango; fonts for its text.
system-libs:
	@ldconfig -p | grep -q 'libpangoft2-1.0.so' && fc-list 2>/dev/null | grep -qi dejavu \
	  || (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig >/dev/null)

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

# Translations are compiled in set-up; msgfmt comes from Debian's gettext.
locale/.compiled: $(wildcard locale/*/LC_MESSAGES/*.po) | $(STAMP)
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	PORTAL_TESTING=true $(BIN)/python manage.py compilemessages --ignore=.venv -v 0
	@touch $@

messages: $(STAMP)
	PORTAL_TESTING=true $(BIN)/python manage.py makemessages -l es -l en --ignore=.venv --ignore=node_modules --no-obsolete -v 0

# The browser suite drives Debian's Chromium; axe-core and Lighthouse come from npm.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@test -f node_modules/axe-core/axe.min.js -a -f node_modules/.bin/lighthouse || npm ci --silent --no-audit --no-fund

test: setup browser
	PORTAL_TESTING=true $(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Fresh state at every run (KEEP=1 keeps .demo/ from the last one); DEBUG off, as in production.
demo: setup
	$(BIN)/python -m portal.sandbox.demo --port $(PORT) --smartisp-port $(SMARTISP_PORT) \
	  --gateway-port $(GATEWAY_PORT) --messaging-port $(MESSAGING_PORT) $(if $(KEEP),--keep)

demo-reset:
	rm -rf .demo db.sqlite3 db.sqlite3-shm db.sqlite3-wal

bench: setup
	$(BIN)/python -m portal.bench

audit: setup browser
	$(BIN)/python -m portal.audit

clean:
	rm -rf $(VENV) node_modules staticfiles locale/.compiled .demo db.sqlite3 db.sqlite3-shm db.sqlite3-wal
