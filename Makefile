# lbenroll developer entry points. `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
RUFF_VERSION := 0.17.6
# The layer contract's checker (.importlinter); this version needs Python 3.11.
IMPORT_LINTER_VERSION := 2.17
# tests/packaging/test_ansible_lint.py: the Ansible role under the production profile, offline.
ANSIBLE_LINT_VERSION := 26.10.1
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
# Puppet agent (the demo's `puppet config print`); openssl, unshare, curl; sshd, ssh and
# ssh-keygen (the remote-execution SSH CA test runs a real sshd on loopback); zstd (a proxy's
# zstd-compressed primary.xml, which Debian's createrepo_c cannot write).
PACKAGES_lab := haproxy rpm rpm2cpio cpio createrepo-c dnf python3-qpid-proton mosquitto \
	puppet-agent openssl util-linux curl openssh-server openssh-client zstd
FOR_lab := the lab
# Only the end-to-end tests use the real puppetserver (with the JRE it pulls in) as Puppet CA,
# the MQTT clients, `ip` (tests/lab/unprivileged), lbenroll's libraries for Debian's python3 (the
# unprivileged demo and the Ansible role run lbenroll on it), systemd-analyze, localedef (the
# German locale of tests/e2e/test_child_environment.py) and strace (what each child is given).
PACKAGES_e2e := puppetserver mosquitto-clients iproute2 python3-click python3-requests \
	python3-configobj python3-distro systemd locales strace
FOR_e2e := the end-to-end tests
PACKAGES_docs := mandoc
FOR_docs := the man page lint
# rpm has rpmbuild; its Python dependency generator (/usr/lib/rpm/pythondistdeps.py, which gives
# the RPM its python3dist(lbenroll) Provides) runs on Debian's python3 and imports packaging.
PACKAGES_rpm := rpm python3-packaging
FOR_rpm := building the RPM
PACKAGES_rpmlint := rpmlint
FOR_rpmlint := checking the RPM
PACKAGES_repo := createrepo-c
FOR_repo := the dnf repository
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
	@echo "setting up $(VENV): lbenroll (editable), pytest, pytest-mock, hypothesis, ansible-core, ansible-lint, wheel"
	@rm -f $(LOGS)/venv.log
	@$(DEVENV) quietly $(LOGS)/venv.log $(PYTHON) -m venv $(VENV)
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q --upgrade pip
	@$(DEVENV) quietly $(LOGS)/venv.log $(VENV)/bin/pip install -q -e . pytest pytest-mock \
		hypothesis ansible-core ansible-lint==$(ANSIBLE_LINT_VERSION) wheel
	@touch $@

## Everything `make test` installs: all the Debian package sets and the virtualenv.
deps: $(foreach set,lab e2e docs rpm rpmlint repo,$(call apt,$(set))) $(VENV_READY)

## The whole test suite: unit tests and the load-balanced lab end-to-end tests.
test: deps lint check-compat rpm-check repo
	LBENROLL_PACKAGES_BUILT=$(abspath $(BUILD)) $(VENV)/bin/python -m pytest -q tests

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
## Each lab subscription-manager call costs 0.3 s here, as the real one does (LAB_SUBMAN_COST).
bench: $(call apt,lab) $(VENV_READY)
	LAB_SUBMAN_COST=$${LAB_SUBMAN_COST-0.3} $(VENV)/bin/python -m benchmarks.run

## Regenerate man/lbenroll.8 and the bash completion from the option table and the code
## (tools/docs.py, a build-time tool: it is not part of the installed package).
docs: $(VENV_READY)
	$(VENV)/bin/python -m tools.docs

# One package per EL, each built, checked and tested on that EL's python3 (its python(abi)) with
# the library versions the EL packages: a floor, a venv of that Python with those versions and
# the test plugins, per EL. ELS="el9 el10" builds only those (`make rpm`, `make repo`).
ELS := el8 el9 el10
PYTHON_el8 := 3.6
PYTHON_el9 := 3.9
PYTHON_el10 := 3.12
# PYTHON36, PYTHON39, PYTHON312 name an interpreter; by default tools/devenv finds pythonX.Y on
# PATH or in pyenv's versions (CI: /root/.pyenv/versions/3.6.15, 3.9.18 and 3.12.1).
PYTHON36 ?=
PYTHON39 ?=
PYTHON312 ?=
nodot = $(subst .,,$(1))
# $(call floor,el9) is .build/floor39; $(call el_of,39) is el9.
floor = $(BUILD)/floor$(call nodot,$(PYTHON_$(1)))
el_of = $(firstword $(foreach el,el8 el9 el10,$(if $(filter $(1),$(call nodot,$(PYTHON_$(el)))),$(el))))
# $(call python_found,3.9): looked up once, and only when a target needs it.
python_found = $(or $(FOUND_$(1)),$(eval FOUND_$(1) := $(shell $(DEVENV) python $(1) \
	$(PYTHON$(call nodot,$(1)))))$(FOUND_$(1)))
python_missing = $(if $(PYTHON$(call nodot,$(1))),PYTHON$(call nodot,$(1))=$(PYTHON$(call nodot,$(1))) \
	is not a Python $(1) that can make venvs: point PYTHON$(call nodot,$(1)) at one$(comma) or leave \
	it unset to look on PATH and in pyenv,the $(2) package$(if $(filter el8,$(2)) and check-compat,) \
	need$(if $(filter el8,$(2)),,s) Python $(1) ($(2)'s python3) and there is no python$(1) on PATH \
	or in pyenv's versions: install it (with pyenv: pyenv install --list names its releases; CI \
	has 3.6.15$(comma) 3.9.18 and 3.12.1)$(comma) name one with make PYTHON$(call nodot,$(1))=/path/to/python$(1)$(comma) \
	or build the other ELs' packages only: make rpm ELS="$(filter-out $(2),el8 el9 el10)")
# EL8 is the floor of all: Python 3.6 and the oldest library versions lbenroll supports
# (check-compat runs the unit tests on it too).
FLOOR := $(BUILD)/floor36
# Hypothesis 6.31.6 is the last release for Python 3.6 (a test-only dependency).
FLOOR_PACKAGES := click==6.7 requests==2.20.0 configobj==5.0.6 distro==1.4.0 \
	pytest==7.0.1 pytest-mock==3.6.1 hypothesis==6.31.6
FLOOR_PACKAGES_el8 = $(FLOOR_PACKAGES)
# The last pip for Python 3.6; the other Pythons keep the pip their venv gets.
FLOOR_PIP_el8 := pip==21.3.1
# What EL9 and EL10 ship (BaseOS/AppStream), as found in their package repositories:
#   EL9: python3-requests-2.25.1 (UBI 9 BaseOS, python-requests-2.25.1-10.el9_6.src.rpm),
#     python3-configobj-5.0.6-25.el9, python3-distro-1.5.0-7.el9, python3-setuptools-53.0.0
#     (EL9 dnf transcripts), python3-click 7.1.2 (not found in a source here; see README).
#   EL10: https://vault.almalinux.org/10.0/BaseOS/x86_64_v2/os/Packages/ has
#     python3-requests-2.32.4-1.el10_0 and python3-setuptools-69.0.3-12.el10_0; .../AppStream/
#     python3-configobj-5.0.8-10.el10 and python3-distro-1.9.0-5.el10; python3-click 8.1.7 (not
#     found in a source here; see README).
# setuptools builds the package (setup.py); Python 3.12's venv has none of its own.
FLOOR_PACKAGES_el9 = click==7.1.2 requests==2.25.1 configobj==5.0.6 distro==1.5.0 \
	setuptools==53.0.0 $(FLOOR_TEST_PACKAGES)
FLOOR_PACKAGES_el10 = click==8.1.7 requests==2.32.4 configobj==5.0.8 distro==1.9.0 \
	setuptools==69.0.3 $(FLOOR_TEST_PACKAGES)
# The test tools on EL9's and EL10's Python (pytest 7.0.1 is EL8's: the last for Python 3.6;
# Hypothesis 6.141.1 is the last for Python 3.9).
FLOOR_TEST_PACKAGES := pytest==8.3.5 pytest-mock==3.14.0 hypothesis==6.141.1

# What a floor is made of, its interpreter and packages: rewritten (and so the floor remade) when
# either changes. Precious: not an intermediate file that make deletes once the floor is made.
.PRECIOUS: $(BUILD)/floor%.wanted $(BUILD)/floor%/ready
floor_wanted = $(call python_found,$(PYTHON_$(1))) $(FLOOR_PIP_$(1)) $(FLOOR_PACKAGES_$(1))
$(BUILD)/floor%.wanted: FORCE
	@$(if $(call python_found,$(PYTHON_$(call el_of,$*))),,$(error $(call python_missing,$(PYTHON_$(call el_of,$*)),$(call el_of,$*))))mkdir -p $(@D)
	@echo "$(call floor_wanted,$(call el_of,$*))" | cmp -s - $@ || \
		echo "$(call floor_wanted,$(call el_of,$*))" > $@

$(BUILD)/floor%/ready: $(BUILD)/floor%.wanted
	@echo "setting up $(@D): $(call python_found,$(PYTHON_$(call el_of,$*))) with $(FLOOR_PACKAGES_$(call el_of,$*))"
	@rm -rf $(@D) $(LOGS)/floor$*.log
	@$(DEVENV) quietly $(LOGS)/floor$*.log $(call python_found,$(PYTHON_$(call el_of,$*))) -m venv $(@D)
	@$(if $(FLOOR_PIP_$(call el_of,$*)),$(DEVENV) quietly $(LOGS)/floor$*.log $(@D)/bin/pip \
		install -q $(FLOOR_PIP_$(call el_of,$*)))
	@$(DEVENV) quietly $(LOGS)/floor$*.log $(@D)/bin/pip install -q $(FLOOR_PACKAGES_$(call el_of,$*))
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
REPO_DIR := $(BUILD)/repo
# Per EL: rpm-el8 builds, rpm-check-el8 checks; `make rpm` and `make rpm-check` do every EL's.
RPM_TARGETS := $(foreach el,el8 el9 el10,rpm-$(el) rpm-check-$(el))
.PHONY: repo $(RPM_TARGETS)
.SECONDEXPANSION:

## One noarch package per EL from one spec and one sdist, lbenroll-VERSION-RELEASE.el8, .el9 and
## .el10, in .build/rpm/EL/RPMS/noarch: each built on its EL's Python (python(abi), site-packages,
## byte-compiled files) and its %check running the unit tests on that EL's library versions.
## Debian's rpmbuild gets the few EL macros it lacks (packaging/rpm/debian.macros) and --nodeps,
## as the build needs are EL packages. RPMBUILD_FLAGS="--without tests" skips %check.
rpm: $(addprefix rpm-,$(ELS))

# The sdist, made once per make run by the first EL's floor, with a fresh egg-info: setuptools
# would otherwise reuse an older one's file list. Every EL's floor.wanted first, so that a
# missing Python stops the build before any package is built.
$(RPM_TOPDIR)/sdist.ready: FORCE $(foreach el,$(ELS),$(call floor,$(el)).wanted) \
		$(call floor,$(firstword $(ELS)))/ready
	@rm -rf $(RPM_TOPDIR)/SOURCES $(RPM_TOPDIR)/egg-info $(LOGS)/sdist.log $@
	@mkdir -p $(RPM_TOPDIR)/egg-info
	@$(DEVENV) quietly $(LOGS)/sdist.log $(call floor,$(firstword $(ELS)))/bin/python setup.py -q \
		egg_info --egg-base $(RPM_TOPDIR)/egg-info sdist --dist-dir $(RPM_TOPDIR)/SOURCES
	@touch $@

$(addprefix rpm-,$(ELS)): rpm-%: $(RPM_TOPDIR)/sdist.ready $$(call floor,$$*)/ready $(call apt,rpm)
	@echo "building the $* package on Python $(PYTHON_$*): rpmbuild -ba$(if $(RPMBUILD_FLAGS), $(RPMBUILD_FLAGS))" \
	     "(log: $(LOGS)/rpm-$*.log)"
	@rm -rf $(RPM_TOPDIR)/$* $(LOGS)/rpm-$*.log
	@$(DEVENV) quietly $(LOGS)/rpm-$*.log rpmbuild -ba --nodeps $(RPMBUILD_FLAGS) \
		--define "_topdir $(RPM_TOPDIR)/$*" --define "_sourcedir $(RPM_TOPDIR)/SOURCES" \
		--define "dist .$*" --define "rhel $(patsubst el%,%,$*)" \
		--load packaging/rpm/debian.macros \
		--define "__python3 $(abspath $(call floor,$*))/bin/python" packaging/rpm/lbenroll.spec
	@built=$$(cd $(BUILD) && echo rpm/$*/RPMS/noarch/*.rpm rpm/$*/SRPMS/*.rpm); \
	 check=$$(grep -E '^=* ?[0-9]+ passed' $(LOGS)/rpm-$*.log | tail -n 1 | sed 's/^=* *//; s/ *=*$$//'); \
	 echo "built $$built in $(BUILD)$${check:+; %check: $$check}"

## Lint each EL's packages (rpmlint --strict), install each into a scratch root and run the
## installed lbenroll --version and --help from there on that EL's Python and libraries.
rpm-check: $(addprefix rpm-check-,$(ELS))

$(addprefix rpm-check-,$(ELS)): rpm-check-%: rpm-% $(call apt,rpmlint)
	@rm -f $(LOGS)/rpmlint-$*.log
	@$(DEVENV) quietly $(LOGS)/rpmlint-$*.log rpmlint --strict \
		--rpmlintrc packaging/rpm/lbenroll.rpmlintrc packaging/rpm/lbenroll.spec \
		$(RPM_TOPDIR)/$*/RPMS/noarch/*.rpm $(RPM_TOPDIR)/$*/SRPMS/*.rpm
	@echo "rpmlint --strict ($*):$$(tail -n 1 $(LOGS)/rpmlint-$*.log | sed 's/ *$$//')"
	@packaging/rpm/check-install.sh $(RPM_TOPDIR)/$*/RPMS/noarch/lbenroll-*.noarch.rpm \
		$(abspath $(BUILD)/rpm-root-$*) $(abspath $(call floor,$*))/bin/python

## The dnf repositories an admin publishes, one per EL: .build/repo/el8, el9 and el10, each the
## EL's package and createrepo_c's repodata. Publish .build/repo as it is; a host uses BASE/elN
## for its major release N (the kickstart snippets and the Ansible role add /elN to the URL).
repo: $(addprefix rpm-,$(ELS)) $(call apt,repo)
	@rm -rf $(REPO_DIR) $(LOGS)/repo.log
	@for el in $(ELS); do \
	     mkdir -p $(REPO_DIR)/$$el/Packages && \
	     cp -p $(RPM_TOPDIR)/$$el/RPMS/noarch/*.rpm $(REPO_DIR)/$$el/Packages/ && \
	     $(DEVENV) quietly $(LOGS)/repo.log createrepo_c $(REPO_DIR)/$$el || exit 1; \
	 done
	@echo "made $(REPO_DIR): $$(cd $(REPO_DIR) && echo */Packages/*.rpm)"

clean:
	rm -rf $(VENV) $(BUILD) build dist *.egg-info
