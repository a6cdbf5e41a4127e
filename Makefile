# lbenroll developer entry points. `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
RUFF_VERSION := 0.17.6
# The layer contract's checker (.importlinter); this version needs Python 3.11.
IMPORT_LINTER_VERSION := 2.17
BUILD := .build
# Set-up steps (apt, pip, rpmbuild) keep their output in a log here; it is shown if they fail.
LOGS := $(BUILD)/logs
DEVENV := tools/devenv
comma := ,

# Debian packages, in sets by what needs them. Before the first target that needs a set,
# tools/devenv installs the packages of it that are missing (nothing else: no recommends, no
# upgrades; apt's output goes to $(LOGS)/apt-SET.log) and $(BUILD)/apt-SET.installed records it.
# The lab (make demo, make bench, the lab tests): real HAProxy; rpm, rpmbuild, rpm2cpio, cpio,
# createrepo_c and dnf; python3-qpid-proton and mosquitto for the AMQP and MQTT listeners; the
# Puppet agent (the demo's `puppet config print`); openssl, unshare, curl.
PACKAGES_lab := haproxy rpm rpm2cpio cpio createrepo-c dnf python3-qpid-proton mosquitto \
	puppet-agent openssl util-linux curl
FOR_lab := the lab
# Only the end-to-end tests use the real puppetserver (with the JRE it pulls in) as Puppet CA,
# the MQTT clients, `ip` (tests/lab/unprivileged), lbenroll's libraries for Debian's python3 (the
# unprivileged demo and the Ansible role run lbenroll on it) and systemd-analyze.
PACKAGES_e2e := puppetserver mosquitto-clients iproute2 python3-click python3-requests \
	python3-configobj python3-distro systemd
FOR_e2e := the end-to-end tests
PACKAGES_docs := mandoc
FOR_docs := the man page lint
# rpm has rpmbuild; its Python dependency generator (/usr/lib/rpm/pythondistdeps.py, which gives
# the RPM its python3dist(lbenroll) Provides) runs on Debian's python3 and imports packaging.
PACKAGES_rpm := rpm python3-packaging
FOR_rpm := building the RPM
PACKAGES_rpmlint := rpmlint
FOR_rpmlint := checking the RPM
# Debian's python3 makes venvs only with python3-venv; another $(PYTHON) needs nothing.
PACKAGES_venv = $(if $(filter /usr/bin/% /bin/%,$(realpath $(shell command -v $(PYTHON)))),python3-venv)
FOR_venv := the virtualenv
apt = $(BUILD)/apt-$(1).installed

.PHONY: all deps test unit demo lab clean docs check-compat rpm rpm-check bench lint FORCE

all: test

$(BUILD)/apt-%.installed: Makefile $(DEVENV)
	@$(DEVENV) apt-install $(LOGS)/apt-$*.log "$(FOR_$*)" $(PACKAGES_$*)
	@mkdir -p $(@D) && touch $@

# A stamp file, not $(VENV)/bin/python: that is a symlink, and touch would bump the mtime of the
# interpreter it points to. Order-only on its Debian packages: a new stamp is no reason to remake it.
VENV_READY := $(VENV)/.installed

$(VENV_READY): setup.cfg pyproject.toml | $(call apt,venv)
	@echo "setting up $(VENV): lbenroll (editable), pytest, pytest-mock, ansible-core, wheel"
	@rm -f $(LOGS)/venv.log
	@$(DEVENV) quietly $(LOGS)/venv.log $(PYTHON) -m venv $(VENV)
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q --upgrade pip
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q -e . pytest pytest-mock \
		ansible-core wheel
	@touch $@

## Everything `make test` installs: all the Debian package sets and the virtualenv.
deps: $(foreach set,lab e2e docs rpm rpmlint,$(call apt,$(set))) $(VENV_READY)

## The whole test suite: unit tests and the load-balanced lab end-to-end tests.
test: deps lint check-compat rpm-check
	$(VENV)/bin/python -m pytest -q tests

$(VENV)/bin/ruff: $(VENV_READY)
	@echo "installing ruff $(RUFF_VERSION) into $(VENV)"
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q ruff==$(RUFF_VERSION)

$(VENV)/bin/lint-imports: $(VENV_READY)
	@echo "installing import-linter $(IMPORT_LINTER_VERSION) into $(VENV)"
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q \
		import-linter==$(IMPORT_LINTER_VERSION)
	@touch $@

## The one linter configuration for the whole tree (ruff.toml), and the layers of
## docs/architecture.md: the import contract (.importlinter), checked by import-linter.
lint: $(VENV)/bin/ruff $(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

## Unit tests only (no lab, no root needed).
unit: $(VENV_READY) $(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest -q tests --ignore=tests/e2e --ignore=tests/lab

## Start the lab, show the problem, enroll a scratch host with the real lbenroll, tear down.
demo: $(call apt,lab) $(VENV_READY)
	$(VENV)/bin/python -m tests.lab.demo

## Measure lbenroll's own cost (start-up, repair run, enrollment, large files, memory) in the lab
## and print each figure against its target; exits non-zero if a target is missed. Not a test.
bench: $(call apt,lab) $(VENV_READY)
	$(VENV)/bin/python -m benchmarks.run

## Regenerate man/lbenroll.8 and the bash completion from the option table and the code
## (tools/docs.py, a build-time tool: it is not part of the installed package).
docs: $(VENV_READY)
	$(VENV)/bin/python -m tools.docs

# EL8 is the floor: its Python 3.6 and the oldest library versions lbenroll supports, with the
# main venv's test plugins. PYTHON36=/path/to/python3.6 names the interpreter; by default
# tools/devenv finds python3.6 on PATH or in pyenv's versions (CI: /root/.pyenv/versions/3.6.15).
PYTHON36 ?=
# Looked up once, and only when a target needs it.
PYTHON36_FOUND = $(eval PYTHON36_FOUND := $(shell $(DEVENV) python36 $(PYTHON36)))$(PYTHON36_FOUND)
PYTHON36_MISSING = $(if $(PYTHON36),PYTHON36=$(PYTHON36) is not a Python 3.6 that can make venvs: \
	point PYTHON36 at one$(comma) or leave it unset to look on PATH and in pyenv,check-compat and \
	rpm need Python 3.6 (EL8's) and there is no python3.6 on PATH or in pyenv's versions: install \
	it with `pyenv install 3.6.15`$(comma) or name one with make PYTHON36=/path/to/python3.6)
FLOOR := $(BUILD)/floor36
FLOOR_PACKAGES := click==6.7 requests==2.20.0 configobj==5.0.6 distro==1.4.0 \
	pytest==7.0.1 pytest-mock==3.6.1
# The interpreter the floor is made with; rewritten (and so the floor remade) when it changes.
FLOOR_PYTHON := $(BUILD)/floor36.python

$(FLOOR_PYTHON): FORCE
	@$(if $(PYTHON36_FOUND),,$(error $(PYTHON36_MISSING)))mkdir -p $(@D)
	@echo "$(PYTHON36_FOUND)" | cmp -s - $@ || echo "$(PYTHON36_FOUND)" > $@

$(FLOOR)/ready: Makefile $(FLOOR_PYTHON)
	@echo "setting up $(FLOOR): $(PYTHON36_FOUND) with $(FLOOR_PACKAGES)"
	@rm -rf $(FLOOR) $(LOGS)/floor36.log
	@$(DEVENV) quietly $(LOGS)/floor36.log $(PYTHON36_FOUND) -m venv $(FLOOR)
	@$(DEVENV) quietly $(LOGS)/floor36.log $(FLOOR)/bin/pip install -q pip==21.3.1  # the last pip for Python 3.6
	@$(DEVENV) quietly $(LOGS)/floor36.log $(FLOOR)/bin/pip install -q $(FLOOR_PACKAGES)
	@touch $@

$(VENV)/bin/vermin: $(VENV_READY)
	@echo "installing vermin 1.9.2 into $(VENV)"
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q vermin==1.9.2
	@touch $@

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
rpm: $(FLOOR)/ready $(call apt,rpm)
	@echo "building the RPM: sdist, then rpmbuild -ba$(if $(RPMBUILD_FLAGS), $(RPMBUILD_FLAGS))" \
	     "(log: $(LOGS)/rpm.log)"
	@rm -rf $(RPM_TOPDIR) $(LOGS)/rpm.log
	@mkdir -p $(RPM_TOPDIR)/egg-info
	@$(DEVENV) quietly $(LOGS)/rpm.log $(FLOOR)/bin/python setup.py -q egg_info \
		--egg-base $(RPM_TOPDIR)/egg-info sdist --dist-dir $(RPM_TOPDIR)/SOURCES
	@$(DEVENV) quietly $(LOGS)/rpm.log rpmbuild -ba --nodeps $(RPMBUILD_FLAGS) \
		--define "_topdir $(RPM_TOPDIR)" --load packaging/rpm/debian.macros \
		--define "__python3 $(abspath $(FLOOR))/bin/python" packaging/rpm/lbenroll.spec
	@built=$$(cd $(BUILD) && echo rpm/RPMS/noarch/*.rpm rpm/SRPMS/*.rpm); \
	 check=$$(grep -E '^=* ?[0-9]+ passed' $(LOGS)/rpm.log | tail -n 1 | sed 's/^=* *//; s/ *=*$$//'); \
	 echo "built $$built in $(BUILD)$${check:+; %check: $$check}"

## Lint the RPM, install it into a scratch root and run the installed lbenroll --version and
## --help from there on the floor libraries.
rpm-check: rpm $(call apt,rpmlint)
	@rm -f $(LOGS)/rpmlint.log
	@$(DEVENV) quietly $(LOGS)/rpmlint.log rpmlint --strict \
		--rpmlintrc packaging/rpm/lbenroll.rpmlintrc packaging/rpm/lbenroll.spec \
		$(RPM_TOPDIR)/RPMS/noarch/*.rpm $(RPM_TOPDIR)/SRPMS/*.rpm
	@echo "rpmlint --strict:$$(tail -n 1 $(LOGS)/rpmlint.log | sed 's/ *$$//')"
	@packaging/rpm/check-install.sh $(RPM_TOPDIR)/RPMS/noarch/lbenroll-*.noarch.rpm \
		$(abspath $(BUILD)/rpm-root) $(abspath $(FLOOR))/bin/python

clean:
	rm -rf $(VENV) $(BUILD) build dist *.egg-info
