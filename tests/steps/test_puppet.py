"""The Puppet agent steps together: their order, and when they are skipped."""
import pytest

from lbenroll import engine
from lbenroll.results import Status
from lbenroll.steps.puppet_cert import PuppetCert
from lbenroll.steps.puppet_enable import PuppetEnable
from lbenroll.steps.puppet_install import PuppetInstall

pytestmark = pytest.mark.usefixtures("dnf_host", "ca_answers")


def test_order_install_before_conf_then_cert_and_enable():
    ids = [step.id for step in engine.STEPS]
    start = ids.index("PUPPET_INSTALL")
    assert ids[start:start + 4] == ["PUPPET_INSTALL", "PUPPET_CONF", "PUPPET_CERT",
                                    "PUPPET_ENABLE"]


@pytest.mark.parametrize("step", [PuppetInstall, PuppetCert, PuppetEnable])
def test_skipped_with_skip_puppet_or_without_foreman(step, foreman_run, make_run, fake_runner):
    result = step().run(foreman_run(skip=["puppet"]))
    assert (result.status, result.summary) == (Status.SKIPPED, "skipped with --skip puppet")
    result = step().run(make_run())  # --skip foreman
    assert result.status == Status.SKIPPED
    assert result.summary.startswith("skipped because Foreman is skipped (--skip foreman or "
                                     "--content-only)")
    assert fake_runner.calls == []


@pytest.mark.parametrize("step", [PuppetInstall, PuppetCert, PuppetEnable])
def test_an_adopted_host_without_a_hostgroup_is_not_said_to_have_skip_foreman(step, make_run,
                                                                                fake_runner):
    # Issue 19: adopted without -g, nobody typed --skip foreman; the reason says what happened.
    run = make_run()
    run.options.skip.discard("foreman")
    run.options.foreman_left_alone = "no -g"
    result = step().run(run)
    assert result.status == Status.SKIPPED
    assert result.summary == ("skipped because the Foreman host record is left alone (no -g): "
                              "give -g and the API password to install, sign and enable the "
                              "agent")
    assert "--skip" not in result.summary and fake_runner.calls == []
