# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app

export KIOSK_HOST ?= 127.0.0.1
export KIOSK_PORT ?= 8000

.PHONY: run test install install-test translations system-deps zpl-renderer clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Compile the zh_CN catalogue (.po -> .mo); the .mo is built, not committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d kiosk/translations

system-deps:
	@scripts/system-deps.sh

## An independent ZPL renderer for the label tests (npm's zpl-renderer-js, pinned in
## tests/zpl-renderer); without npm that one test says so and is skipped.
ZPL_RENDERER := $(VENV)/zpl-renderer
$(ZPL_RENDERER)/.installed: tests/zpl-renderer/package.json tests/zpl-renderer/package-lock.json | $(BIN)/python
	@if command -v npm >/dev/null; then \
	  mkdir -p $(ZPL_RENDERER) && cp tests/zpl-renderer/package.json tests/zpl-renderer/package-lock.json $(ZPL_RENDERER)/ && \
	  npm ci --prefix $(ZPL_RENDERER) --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the test of ZPL labels in an independent renderer is skipped"; fi
zpl-renderer: $(ZPL_RENDERER)/.installed

## Install, migrate, load the demo hotel on first run, serve on KIOSK_HOST:KIOSK_PORT.
run: install translations
	@scripts/system-deps.sh --fonts || [ -n "$$KIOSK_FONT" ]
	$(FLASK) db upgrade
	$(FLASK) kiosk demo --if-empty
	$(FLASK) kiosk privacy erase
	$(FLASK) kiosk serve

# The suite's workers (pytest-xdist): one per core. A test file runs whole on one
# worker (its module fixtures, e.g. a browser test's server, are made once), files
# in the order collected (the browser tests, the longest, first; not by their number
# of tests, which would leave them for the end); every worker has its own databases.
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto
PYTEST_ARGS  ?= -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## The whole suite on SQLite, then on PostgreSQL when KIOSK_TEST_POSTGRES_URL is set.
test: install-test translations system-deps zpl-renderer
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$KIOSK_TEST_POSTGRES_URL" ]; then \
	  echo "== second pass on PostgreSQL =="; \
	  KIOSK_TEST_DATABASE_URL="$$KIOSK_TEST_POSTGRES_URL" $(BIN)/pytest $(PYTEST_ARGS); \
	fi

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

## For developers: refresh the catalogue after adding or changing messages.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output -o kiosk/translations/messages.pot .
	$(BIN)/pybabel update -N -i kiosk/translations/messages.pot -d kiosk/translations
