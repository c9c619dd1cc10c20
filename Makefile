# Two entry points for a fresh Debian machine (run as root): `make run`, `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STATE ?= $(CURDIR)/.state
DEB_PKGS := ovn-central ovn-host openvswitch-switch isc-dhcp-client iproute2 libxml2-utils libvirt-clients sudo tcpdump iputils-ping
DEB_PKGS += haproxy  # tests/ha and bench: the load balancer in front of several providers
DEB_PKGS += dpkg-dev rpm  # make deb; tests/packaging builds the .debs and the RPM spec
DEB_PKGS += python3-openvswitch python3-ovsdbapp python3-anyio python3-uvicorn python3-cryptography python3-prometheus-client python3-fixtures python3-pbr python3-netaddr python3-click python3-h11 python3-idna python3-sniffio python3-typing-extensions python3-cffi python3-pycparser python3-setuptools python3-sortedcontainers  # the Debian python3 libraries of packaging/deb/debian-python.txt: tests/packaging runs the installed .deb with them
DEB_PKGS += python3-openvswitch  # its C JSON parser (ovs._json) goes into the venv, see below

.PHONY: run test deps venv lint

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Debian starts the packaged daemons on install where it can; we never use them.

# python-ovs's C JSON parser (docs/operations.md): PyPI's `ovs` is a source package whose
# C extension needs libopenvswitch, which Debian 12 does not ship for building; the venv's
# `ovs` package gets the extension Debian's python3-openvswitch built for Python 3.11 (same
# Python interface), linked in place. Re-run on every install; fails if it does not import.
OVS_C_JSON_DIR := /usr/lib/python3/dist-packages/ovs
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	@suffix=$$($(PY) -c 'import importlib.machinery as m; print(m.EXTENSION_SUFFIXES[0])'); \
	pkg=$$($(PY) -c 'import os, ovs; print(os.path.dirname(ovs.__file__))'); \
	src=$(OVS_C_JSON_DIR)/_json$$suffix; \
	if [ ! -e "$$src" ]; then \
	  echo "no $$src: python3-openvswitch has no C JSON parser for this Python" >&2; exit 1; \
	fi; \
	ln -sfn "$$src" "$$pkg/_json$$suffix"
	$(PY) -c 'import ovs.json as j, sys; sys.exit(j.PARSER != j.PARSER_C)' || \
	  { echo "ovs._json does not import in $(VENV)" >&2; exit 1; }
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

# The engine's VM-start storm (bench/README.md "Engine storm"): `make storm`, or e.g.
# `make storm STORM_ARGS="--ports 5000 --plugs 64"`.
.PHONY: storm
storm: deps venv
	$(PY) -m bench.storm $(STORM_ARGS)

# Tempest's network API tests against a provider on a private OVN (docs/conformance.md):
# `make conformance`, or e.g. `make conformance CONFORMANCE_ARGS="--regex test_networks"`.
.PHONY: conformance
conformance: deps venv
	$(PY) -m conformance.run $(CONFORMANCE_ARGS)

# Packages (docs/packaging.md): wheel and sdist in dist/, then the Debian packages from them.
DIST ?= dist
VERSION = $(shell $(PY) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
.PHONY: dist deb
dist: venv
	rm -f $(DIST)/ovn_provider-*.whl $(DIST)/ovn_provider-*.tar.gz
	$(PY) -m build --no-isolation --outdir $(DIST) .

deb: deps dist
	rm -f $(DIST)/ovn-provider*.deb
	$(PY) packaging/deb/build.py --out $(DIST) --wheel $(DIST)/ovn_provider-$(VERSION)-py3-none-any.whl
