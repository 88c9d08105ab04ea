# kubelite developer entry points. The README's two commands are `make demo`
# and `make test`; everything else here is what they call.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast chaos compat lab-up lab-down lab-test proto proto-check lint bench-store bench-apiserver tools clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Real etcd 3.4 (etcdctl for compat tests, etcd for the benchmark's reference
# cluster) from Debian, installed only when missing.
tools:
	@command -v etcdctl >/dev/null && command -v etcd >/dev/null || { \
	  echo "installing etcd-client and etcd-server (Debian)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-client etcd-server >/dev/null; }

demo: $(STAMP)
	$(PY) -m cli.demo

test: $(STAMP) tools
	$(PY) -m pytest -q tests

test-fast: $(STAMP)
	$(PY) -m pytest -q tests -m "not chaos and not compat and not lab"

chaos: $(STAMP)
	$(PY) -m pytest -q tests -m chaos

compat: $(STAMP) tools
	$(PY) -m pytest -q tests -m compat

# The docker compose lab (compose.yaml): one image for every component, each in
# its own container. Needs a Docker engine; .ci/run starts one for CI.
lab-up: $(STAMP)
	$(PY) docker/lab.py up

lab-down: $(STAMP)
	$(PY) docker/lab.py down

lab-test: $(STAMP)
	$(PY) -m pytest -q tests -m lab

proto: $(STAMP)
	$(PY) scripts/genproto.py

proto-check: $(STAMP)
	$(PY) scripts/genproto.py --check

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench-store: $(STAMP) tools
	$(PY) bench/store.py

bench-apiserver: $(STAMP)
	$(PY) bench/apiserver.py

clean:
	rm -rf $(VENV) build *.egg-info
