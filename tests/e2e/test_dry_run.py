"""A dry run is the run's exact plan (issue 19, point 2): over every state the lab puts a host in,
the steps a dry run reports as "changed" are the steps the real run then changes, with the same
files; a step whose answer only the run can know says "may change", never "changed"; and the
dry run itself writes nothing. The real lbenroll on sandboxed hosts in the lab, the full command
(-o -a --skip foreman) as kickstart files and playbooks run it.
"""
import json
import re

import pytest

from lbenroll import engine
from tests.e2e.test_converge import (FULL, drift_consumer_upgrade, drift_puppet_server,
                                     drift_redhat_repo, enrolled, global_registration,
                                     guarded_bytes, run_lbenroll, single_proxy, yggdrasil_host)


def half_done(box):
    """A first enrollment killed before it registered: consumer RPM, CAs and rhsm.conf done."""
    killed = run_lbenroll(box, *FULL, env={engine.KILL_BEFORE_ENV: "REGISTER"})
    assert killed.returncode == -9, killed.stdout + killed.stderr


STATES = {
    "fresh": None,
    "enrolled": enrolled,
    "drifted: consumer RPM from another proxy": drift_consumer_upgrade,
    "drifted: redhat.repo names a proxy": drift_redhat_repo,
    "drifted: puppet.conf server": drift_puppet_server,
    "adopted: global registration through one proxy": global_registration,
    "half-done: killed before REGISTER": half_done,
}


def results(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)["results"]


def files_of(result):
    """The files a result's diff names (its ---/+++ headers), timestamps aside."""
    return sorted({re.split(r"\s", line[4:])[0] for line in (result.get("diff") or "").splitlines()
                   if line.startswith(("--- ", "+++ "))})


def by_status(found, status):
    return {r["id"]: files_of(r) for r in found if r["status"] == status}


@pytest.mark.parametrize("state", sorted(STATES))
def test_a_dry_run_reports_exactly_what_the_run_then_changes(lab, sandbox, state):
    single_proxy(lab)
    box = sandbox()
    yggdrasil_host(box)
    if STATES[state]:
        STATES[state](box)
    before = guarded_bytes(box)
    planned = results(run_lbenroll(box, *FULL + ["--dry-run", "--json"]))
    assert guarded_bytes(box) == before  # the dry run wrote nothing
    done = results(run_lbenroll(box, *FULL + ["--json"]))
    would, may = by_status(planned, "changed"), by_status(planned, "may change")
    changed = by_status(done, "changed")
    # Never a change claimed that does not happen, with the same files.
    assert {step: files for step, files in changed.items() if step not in may} == would, (
        "dry run: %s\nmay: %s\nrun: %s" % (sorted(would), sorted(may), sorted(changed)))
    assert not any(r["status"] == "may change" for r in done)  # only a dry run says it


def test_the_fresh_host_of_issue_19_is_told_no_update_and_no_install(lab, sandbox):
    """The issue's report: the dry run said "would update subscription-manager" and "would
    install katello-host-tools", and the run changed neither."""
    single_proxy(lab)
    box = sandbox()
    planned = {r["id"]: r for r in results(run_lbenroll(box, *FULL + ["--dry-run", "--json"]))}
    assert planned["PREREQUISITES"]["status"] != "changed", planned["PREREQUISITES"]
    assert planned["HOST_TOOLS"]["status"] in ("may change", "skipped"), planned["HOST_TOOLS"]
