# Two entry points for a fresh Debian machine (run as root): `make run`, `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STATE ?= $(CURDIR)/.state
DEB_PKGS := ovn-central ovn-host openvswitch-switch isc-dhcp-client iproute2 libxml2-utils libvirt-clients sudo tcpdump iputils-ping

.PHONY: run test deps venv lint

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Debian starts the packaged daemons on install where it can; we never use them.

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: deps venv
	$(VENV)/bin/ovn-provider serve --config etc/dev.conf --embedded-ovn $(STATE)

test: deps venv
	$(VENV)/bin/ruff check src tests $(wildcard bench) $(wildcard conformance)
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests

# Benchmark (bench/README.md): `make bench`, or e.g. `make bench BENCH_ARGS=--quick`.
.PHONY: bench
bench: deps venv
	$(PY) -m bench.run $(BENCH_ARGS)

# Tempest's network API tests against a provider on a private OVN (docs/conformance.md):
# `make conformance`, or e.g. `make conformance CONFORMANCE_ARGS="--regex test_networks"`.
.PHONY: conformance
conformance: deps venv
	$(PY) -m conformance.run $(CONFORMANCE_ARGS)
