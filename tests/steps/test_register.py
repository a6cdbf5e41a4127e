"""REGISTER: subscription-manager register through the balancer, once; a registered host is
left alone."""
import pytest

from lbenroll import backup
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Status
from lbenroll.steps.register import Register
from tests.conftest import seed
from tests.steps.conftest import rhsm_conf, seed_host, sm

IDENTITY = "system identity: 5d3c-uuid\nname: client01.example.test\norg name: ACME Corp\n"


def test_registered_host_is_left_alone(make_run, fake_runner, root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(sm(root, "identity"), 0, IDENTITY)
    result = Register().run(make_run())
    assert result.status == Status.UNCHANGED and "5d3c-uuid" in result.summary
    assert fake_runner.calls == [sm(root, "identity")]


def test_repair_runs_no_subscription_manager_command(make_run, fake_runner, root):
    # PREFLIGHT has already refused a repair without the consumer certificate.
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf(), "/etc/pki/consumer/cert.pem": "x"})
    run = make_run(activationkey=None)
    run.options.recorded_in = "/etc/lbenroll/lbenroll.conf"
    result = Register().run(run)
    assert result.status == Status.UNCHANGED and "/etc/pki/consumer/cert.pem" in result.summary
    assert fake_runner.calls == []


@pytest.mark.parametrize("layout,serverurl,baseurl", [
    ("current", "https://smartproxy.example.test:443/rhsm",
     "https://smartproxy.example.test/pulp/content/"),
    ("pulp2", "https://smartproxy.example.test:8443/rhsm",
     "https://smartproxy.example.test/pulp/repos"),
])


def test_register_uses_the_balancer_with_the_rpms_port_and_path(
        make_run, fake_runner, root, layout, serverurl, baseurl):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf(layout)})
    fake_runner.expect(sm(root, "identity"), 1, "", "not registered")
    fake_runner.expect(sm(root, "register"), 0)
    run = make_run(smargs="--auto-attach", release="9.4")
    result = Register().run(run)
    assert result.status == Status.CHANGED
    assert fake_runner.calls[-1] == sm(root) + [
        "register", "--org", "ACME", "--name", "client01.example.test",
        "--activationkey", "ak-lab-secret", "--auto-attach", "--serverurl", serverurl,
        "--baseurl", baseurl, "--release", "9.4"]
    assert run.registered_now
    assert "ak-lab-secret" not in " ".join(result.detail)


def test_force_re_registers_a_registered_host(make_run, fake_runner, root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(sm(root, "identity"), 0, IDENTITY)
    fake_runner.expect(sm(root, "register"), 0)
    Register().run(make_run(force=True))
    assert fake_runner.calls[-1][-1] == "--force"


@pytest.mark.parametrize("rc,code", [(69, ExitCode.UNAVAILABLE), (70, ExitCode.PROTOCOL),
                                     (78, ExitCode.CONFIG), (64, ExitCode.USAGE),
                                     (5, ExitCode.FAILED)])


def test_register_exit_codes_map_to_ours(make_run, fake_runner, root, rc, code):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(sm(root, "identity"), 1)
    fake_runner.expect(sm(root, "register"), rc, "",
                       "Invalid activation key ak-lab-secret")
    with pytest.raises(LbenrollError) as exc:
        Register().run(make_run())
    assert exc.value.exit_code == code
    assert exc.value.fix
    assert "ak-lab-secret" not in exc.value.format_message()


def test_ignore_registration_failures_turns_failure_into_warning(make_run, fake_runner, root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(sm(root, "identity"), 1)
    fake_runner.expect(sm(root, "register"), 70, "", "no such key")
    result = Register().run(make_run(ignore_registration_failures=True))
    assert result.status == Status.WARNING


def test_dry_run_registers_nothing(make_run, fake_runner, root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.dry_run = True
    fake_runner.expect(sm(root, "identity"), 1)
    result = Register().run(make_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would register")
    assert fake_runner.calls == [sm(root, "identity")]
    assert "ak-lab-secret" not in " ".join(fake_runner.would_run)


def test_lost_identity_without_a_key_is_a_usage_error_not_a_crash(make_run, fake_runner, root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf(), "/etc/pki/consumer/cert.pem": "x"})
    fake_runner.expect(sm(root, "identity"), 1, "", "This system is not yet registered.")
    with pytest.raises(LbenrollError) as exc:
        Register().run(make_run(activationkey=None))
    assert exc.value.exit_code == ExitCode.USAGE
    assert "not registered" in exc.value.message and "-a KEY" in exc.value.fix


def test_a_full_rerun_on_a_registered_host_costs_what_a_repair_costs(make_run, fake_runner,
                                                                     root):
    # With -a, as kickstart files re-run it: the consumer certificate stands (PREFLIGHT), so no
    # `subscription-manager identity` (the fake runner fails on any command it was not told to
    # expect), as for `lbenroll repair`.
    seed_host(root, {"/etc/pki/consumer/cert.pem": "cert"})
    run = make_run()
    run.registered_before, run.registration_problem = True, None
    result = Register().run(run)
    assert result.status == Status.UNCHANGED and fake_runner.calls == []
    assert "unexpired and from the trusted Katello CA" in result.detail[0]


@pytest.mark.parametrize("problem", [
    "/etc/pki/consumer/cert.pem expired on 2021-01-01T00:00:00 UTC",
    "/etc/pki/consumer/cert.pem is not issued by a Katello CA this host trusts"])
def test_a_certificate_that_does_not_stand_is_checked_with_the_server(make_run, fake_runner,
                                                                      root, problem):
    seed_host(root, {"/etc/pki/consumer/cert.pem": "cert"})
    fake_runner.expect(["chroot", str(root), "subscription-manager", "identity"], 0,
                       "system identity: 1234\n")
    run = make_run()
    run.registered_before, run.registration_problem = True, problem
    assert Register().run(run).status == Status.UNCHANGED
    assert fake_runner.calls == [["chroot", str(root), "subscription-manager", "identity"]]


# What --remove restores must be the true originals, also for files that commands lbenroll runs
# write before lbenroll itself does. (The consumer RPM is installed without its scriptlets, so
# rpm writes no host file: tests/steps/test_katello_server_ca.py checks the CA files' backups.)

def test_register_finds_the_originals_backed_up(make_run, fake_runner, ctx, root):
    cert, rhsm = "/etc/pki/consumer/cert.pem", "/etc/rhsm/rhsm.conf"
    seed(root, {rhsm: rhsm_conf(), "/etc/yum.repos.d/redhat.repo": "# before\n"})

    def register(argv):
        assert dict(backup.backups(ctx)) == {
            "/etc/pki": True, "/etc/pki/consumer": True, cert: True,
            "/etc/pki/consumer/key.pem": True, "/etc/pki/entitlement": True, rhsm: False,
            "/etc/yum.repos.d/redhat.repo": False}
        seed(root, {cert: "cert", "/etc/yum.repos.d/redhat.repo": "# generated\n"})

    fake_runner.expect(sm(root, "identity"), 1)
    fake_runner.expect(sm(root, "register"), 0, effect=register)
    Register().run(make_run())
    assert backup.read_backup(ctx, "/etc/yum.repos.d/redhat.repo") == b"# before\n"
    assert len(fake_runner.calls) == 2
