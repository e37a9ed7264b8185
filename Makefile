# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint messages vendor bench clean

run: setup
	$(PY) manage.py seed_demo
	@echo ""
	@echo "美家 is at http://127.0.0.1:8000/  (work desk: http://127.0.0.1:8000/admin/)"
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) node_modules site/static/vendor staticfiles db.sqlite3
