# lbenroll developer entry points. `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
RUFF_VERSION := 0.17.6
BUILD := .build
# Debian packages for the lab (real HAProxy, rpm tooling, dnf, Puppet, MQTT, AMQP) and the docs checks.
SYSTEM_PACKAGES := haproxy rpm rpm2cpio cpio createrepo-c dnf python3-qpid-proton mosquitto \
	mosquitto-clients puppet-agent puppetserver openssl util-linux iproute2 mandoc curl \
	python3-click python3-requests python3-configobj python3-distro rpmlint systemd

.PHONY: all deps test unit demo lab clean docs check-compat rpm rpm-check bench lint

all: test

$(BUILD)/system-packages: Makefile
	mkdir -p $(BUILD)
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(SYSTEM_PACKAGES)
	touch $@

# A stamp file, not $(VENV)/bin/python: that is a symlink, and touch would bump the mtime of the
# interpreter it points to.
VENV_READY := $(VENV)/.installed

$(VENV_READY): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e . pytest pytest-mock ansible-core wheel
	touch $@

deps: $(BUILD)/system-packages $(VENV_READY)

## The whole test suite: unit tests and the load-balanced lab end-to-end tests.
test: deps lint check-compat rpm-check
	$(VENV)/bin/python -m pytest -q tests

$(VENV)/bin/ruff: $(VENV_READY)
	$(VENV)/bin/pip install -q ruff==$(RUFF_VERSION)

## The one linter configuration for the whole tree (ruff.toml).
lint: $(VENV)/bin/ruff
	$(VENV)/bin/ruff check .

## Unit tests only (no lab, no root needed).
unit: $(VENV_READY)
	$(VENV)/bin/python -m pytest -q tests --ignore=tests/e2e --ignore=tests/lab

## Start the lab, show the problem, enroll a scratch host with the real lbenroll, tear down.
demo: deps
	$(VENV)/bin/python -m tests.lab.demo

## Measure lbenroll's own cost (start-up, repair run, enrollment, large files, memory) in the lab
## and print each figure against its target; exits non-zero if a target is missed. Not a test.
bench: deps
	$(VENV)/bin/python -m benchmarks.run

## Regenerate man/lbenroll.8 and the bash completion from the option table and the code.
docs: $(VENV_READY)
	$(VENV)/bin/python -m lbenroll.docs

# EL8 is the floor: its Python 3.6 and the oldest library versions lbenroll supports, with the
# main venv's test plugins.
PYTHON36 ?= /root/.pyenv/versions/3.6.15/bin/python3.6
FLOOR := $(BUILD)/floor36
FLOOR_PACKAGES := click==6.7 requests==2.20.0 configobj==5.0.6 distro==1.4.0 \
	pytest==7.0.1 pytest-mock==3.6.1

$(FLOOR)/ready: Makefile
	rm -rf $(FLOOR)
	$(PYTHON36) -m venv $(FLOOR)
	$(FLOOR)/bin/pip install -q pip==21.3.1  # the last pip for Python 3.6
	$(FLOOR)/bin/pip install -q $(FLOOR_PACKAGES)
	touch $@

$(VENV)/bin/vermin: $(VENV_READY)
	$(VENV)/bin/pip install -q vermin==1.9.2
	touch $@

## Python 3.6 compatibility: vermin's static check, then the unit tests on EL8's floor libraries.
check-compat: $(VENV)/bin/vermin $(FLOOR)/ready
	$(VENV)/bin/vermin --no-tips --violations --target=3.6- lbenroll setup.py
	$(FLOOR)/bin/python -m pytest -q -p no:cacheprovider tests --ignore=tests/e2e \
		--ignore=tests/lab --ignore=tests/packaging

RPM_TOPDIR := $(abspath $(BUILD)/rpm)
RPMBUILD_FLAGS ?=

## The noarch EL8/9/10 RPM, built from an sdist into .build/rpm/RPMS/noarch. Debian's rpmbuild
## gets the few EL macros it lacks and the floor Python 3.6, so files land where EL8 puts them
## and %check runs the unit tests on EL8's libraries; --nodeps as the build needs are EL packages.
## RPMBUILD_FLAGS="--without tests" skips %check.
# The sdist gets a fresh egg-info: setuptools would otherwise reuse an older one's file list.
rpm: $(FLOOR)/ready
	rm -rf $(RPM_TOPDIR)
	mkdir -p $(RPM_TOPDIR)/egg-info
	$(FLOOR)/bin/python setup.py -q egg_info --egg-base $(RPM_TOPDIR)/egg-info \
		sdist --dist-dir $(RPM_TOPDIR)/SOURCES
	rpmbuild -ba --nodeps $(RPMBUILD_FLAGS) --define "_topdir $(RPM_TOPDIR)" \
		--load packaging/rpm/debian.macros --define "__python3 $(abspath $(FLOOR))/bin/python" \
		packaging/rpm/lbenroll.spec

## Lint the RPM, install it into a scratch root and run the installed lbenroll --version and
## --help from there on the floor libraries.
rpm-check: rpm
	rpmlint --strict --rpmlintrc packaging/rpm/lbenroll.rpmlintrc packaging/rpm/lbenroll.spec \
		$(RPM_TOPDIR)/RPMS/noarch/*.rpm $(RPM_TOPDIR)/SRPMS/*.rpm
	packaging/rpm/check-install.sh $(RPM_TOPDIR)/RPMS/noarch/lbenroll-*.noarch.rpm \
		$(abspath $(BUILD)/rpm-root) $(abspath $(FLOOR))/bin/python

clean:
	rm -rf $(VENV) $(BUILD) build dist *.egg-info
