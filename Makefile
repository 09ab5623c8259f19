# Set-up and everyday commands. Everything lands in .venv; system packages
# come from packaging/deps.sh (apt-get, with sudo when not root).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench clean package translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q '.[gui,test,package]'
	touch $@

run: $(VENV)/.installed
	bash packaging/deps.sh run
	$(PY) main.py

# The suite includes the packaging tests, which run the frozen program and
# install the .deb in a scratch Debian: so the package is built first.
test: package
	bash packaging/deps.sh test
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q -n 2

# dist/mailroom/mailroom (one folder), dist/mailroom-onefile, and the .deb;
# lintian must find no errors in the .deb.
package: $(VENV)/.installed
	bash packaging/deps.sh package
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/mailroom.spec
	bash packaging/build_deb.sh
	lintian --fail-on error dist/mailroom_*_amd64.deb

# Pick up new GUI strings into resources/i18n/*.ts and compile the .qm the
# program loads (both committed; a test fails when they fall behind).
translations: $(VENV)/.installed
	$(PY) packaging/translations.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) bench/smtp_ingest.py

clean:
	rm -rf $(VENV) build dist
