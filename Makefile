# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Without DATABASE_URL, `make run` uses the project's embedded PostgreSQL (data in .pgdata/, kept
# between runs, on the port recorded there: 54329 or above) and `make test` a throwaway one
# (meijia.embedded_pg).
ifeq ($(strip $(DATABASE_URL)),)
THROWAWAY_DB := $(PY) -m meijia.embedded_pg throwaway --
endif

.PHONY: run test setup lint messages vendor bench clean stop-db clean-db

run: setup
	$(PY) manage.py seed_demo
	@echo ""
ifeq ($(strip $(DATABASE_URL)),)
	@$(PY) -m meijia.embedded_pg where
endif
	@echo "美家 is at http://127.0.0.1:8000/  (work desk: http://127.0.0.1:8000/admin/)"
	$(PY) manage.py runserver 127.0.0.1:8000

# Types are checked where STYLE.md asks for them: every app's services and selectors. mypy's
# Django plugin imports the settings, so it runs where DATABASE_URL is set.
MYPY_PATHS := $(wildcard */services */services.py */selectors */selectors.py)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(THROWAWAY_DB) sh -c '$(VENV)/bin/mypy $(MYPY_PATHS) && $(PY) manage.py makemigrations --check --dry-run && $(VENV)/bin/pytest $(PYTEST_ARGS)'

stop-db: $(STAMP)
	$(PY) -m meijia.embedded_pg stop

clean-db: stop-db
	rm -rf $${MEIJIA_PGDATA:-.pgdata}

setup: $(STAMP) vendor
	$(PY) manage.py migrate --noinput

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

vendor: package-lock.json
	npm ci --no-audit --no-fund --silent
	npm run --silent vendor

# Rebuild the translation catalogues after changing strings (needs GNU gettext). The compiled
# .mo files are committed, so `make run` works on a machine without gettext.
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete \
		--ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

bench: $(STAMP)
	$(PY) bench/register_import.py
	$(PY) bench/seed_demo.py

clean:
	test ! -x $(PY) || $(PY) -m meijia.embedded_pg stop
	rm -rf $(VENV) node_modules site/static/vendor staticfiles .pgdata
