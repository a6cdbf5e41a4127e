# lbenroll developer entry points. `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
BUILD := .build
# Debian packages for the lab (real HAProxy, rpm tooling, dnf, Puppet, MQTT, AMQP) and the docs checks.
SYSTEM_PACKAGES := haproxy rpm rpm2cpio cpio createrepo-c dnf python3-qpid-proton mosquitto \
	mosquitto-clients puppet-agent puppetserver openssl util-linux iproute2 mandoc curl

.PHONY: all deps test unit demo lab clean

all: test

$(BUILD)/system-packages: Makefile
	mkdir -p $(BUILD)
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(SYSTEM_PACKAGES)
	touch $@

$(VENV)/bin/python: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e . pytest pytest-mock
	touch $@

deps: $(BUILD)/system-packages $(VENV)/bin/python

## The whole test suite: unit tests and the load-balanced lab end-to-end tests.
test: deps
	$(VENV)/bin/python -m pytest -q tests

## Unit tests only (no lab, no root needed).
unit: $(VENV)/bin/python
	$(VENV)/bin/python -m pytest -q tests --ignore=tests/e2e --ignore=tests/lab

## Start the lab, show the problem, enroll a scratch host with the real lbenroll, tear down.
demo: deps
	$(VENV)/bin/python -m tests.lab.demo

clean:
	rm -rf $(VENV) $(BUILD) build dist *.egg-info
