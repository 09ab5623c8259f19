# Set-up and everyday commands. Everything lands in .venv; system packages
# come from packaging/deps.sh (apt-get, with sudo when not root).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q '.[gui,test]'
	touch $@

run: $(VENV)/.installed
	bash packaging/deps.sh run
	$(PY) main.py

test: $(VENV)/.installed
	bash packaging/deps.sh test
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q -n 2

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) bench/smtp_ingest.py

clean:
	rm -rf $(VENV) build dist
