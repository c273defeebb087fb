# Two commands matter on a fresh machine:
#   make demo   - the whole job, offline: local registry, env repo, `automator run`, the commit
#   make test   - installs everything (venv, registry binary) and runs lint + all tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test lint unit demo bench install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

registry-binary:
	@scripts/install-registry.sh

redis-binary:
	@scripts/install-redis.sh

lint: install
	$(PY) -m ruff check .

test: install registry-binary redis-binary lint
	$(PY) -m pytest

demo: install registry-binary
	$(PY) scripts/demo.py

bench: install registry-binary
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
