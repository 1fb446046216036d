# Two entry points for people: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit venv bytecode k8s-bin gitea-bin postgres-bin clean compose-env

# constraints.txt pins every package to the version the tests pass with (CI treats warnings as errors,
# so an unpinned upgrade that only adds a deprecation warning would fail it).
$(STAMP): setup.cfg pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# An editable install compiles no bytecode (pip compiles an installed package's), and with
# PYTHONDONTWRITEBYTECODE set nothing caches it: every `jenkins-bridge` start would compile the package
# from source. Compiled here, brought up to date on each run (only changed modules).
bytecode: $(STAMP)
	@$(PY) -m compileall -q bridge

demo: $(STAMP) bytecode
	$(VENV)/bin/jenkins-bridge demo

# .env and secrets/ for docker-compose.yml, with generated secrets (kept when run again).
compose-env: $(STAMP)
	$(VENV)/bin/jenkins-bridge compose-env

lint: $(STAMP)
	$(VENV)/bin/ruff check bridge tests bench
	$(VENV)/bin/mypy bridge
	$(VENV)/bin/lint-imports

# Real kube-apiserver, etcd and helm, built from Go modules into a cache (minutes the first time).
k8s-bin:
	@bash tests/k8s/build.sh

# A real Gitea (the webhook tests push to it), built from its Go module into a cache (minutes the first time).
gitea-bin:
	@bash tests/gitea/build.sh

# PostgreSQL server binaries from Debian's packages, when the machine has none.
postgres-bin:
	@bash tests/fixtures/install-postgres.sh

# Tests marked `waits` spend minutes waiting on real time (a token's expiry): they run beside the rest,
# in a pytest session of their own, and both must pass.
test: $(STAMP) bytecode k8s-bin gitea-bin postgres-bin lint
	@waits=$$(mktemp -d); \
	$(VENV)/bin/pytest -q -ra -m waits --basetemp="$$waits/tmp" >"$$waits/log" 2>&1 & pid=$$!; \
	$(VENV)/bin/pytest -q -ra -m "not waits"; rc=$$?; \
	wait $$pid; wrc=$$?; echo "--- tests that wait on real time:"; cat "$$waits/log"; rm -rf "$$waits"; \
	test $$rc -eq 0 -a $$wrc -eq 0

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
