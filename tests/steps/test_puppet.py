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
