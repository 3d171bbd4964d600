# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test faults lint eval bench bench-production bench-dedup install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m simulator.demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

# Fault injection, long runs included (kills, database outages); prints the figures table.
faults: $(STAMP)
	$(PY) -m pytest -q -s -m '' tests/faults

lint: $(STAMP)
	$(VENV)/bin/ruff check .

eval: $(STAMP)
	$(PY) -m pip install --quiet -e '.[eval]'
	$(PY) bench/extraction_eval.py

bench: $(STAMP)
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || \
		(apt-get install -y -q nginx-light >/dev/null 2>&1 || apt-get install -y -q nginx >/dev/null)
	$(PY) bench/crawl_throughput.py
	$(PY) bench/stages.py

bench-production: $(STAMP)
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || \
		(apt-get install -y -q nginx-light >/dev/null 2>&1 || apt-get install -y -q nginx >/dev/null)
	$(PY) bench/production_cost.py

bench-dedup: $(STAMP)
	$(PY) bench/dedup_scaling.py

clean:
	rm -rf $(VENV) data/portal.db data/portal.db-* data/demo.db data/demo.db-* data/demo-portals.yaml
