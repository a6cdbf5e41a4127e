"""--remove: what it needs on the command line, and that only a command line can ask for it."""
import pytest

from lbenroll import enroll
from lbenroll import app, engine, options, repair
from lbenroll.errors import ExitCode, UsageError
from tests.conftest import seed

SERVER = "lb.example.com"


def parsed(values, **kwargs):
    """What the command line makes of values: validated, then completed from the machine."""
    return enroll.complete(options.validate(values, **kwargs))


def check(**values):
    values.setdefault("fqdn", "client01.example.com")
    return parsed(values)


def refusal(**values):
    with pytest.raises(UsageError) as error:
        check(**values)
    return error.value.message


@pytest.fixture(autouse=True)
def no_password_sources(monkeypatch):
    monkeypatch.delenv(options.PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", None)


def test_content_only_removal_needs_neither_server_nor_key_nor_password():
    validated = check(remove=True, skip=["foreman"])
    assert validated.remove and validated.balancer is None
    assert validated.activationkey is None and validated.password is None


def test_removal_without_server_must_skip_foreman():
    message = refusal(remove=True)
    assert "--remove needs -s/--server" in message


def test_foreman_mode_removal_needs_the_api_password_but_no_hostgroup():
    assert "password is missing" in refusal(remove=True, balancer=SERVER)
    validated = check(remove=True, balancer=SERVER, password="changeme")
    assert validated.hostgroup is None and "changeme" in validated.secrets


def test_a_name_without_domain_only_finds_the_host_record():
    assert check(remove=True, skip=["foreman"], fqdn="client01").fqdn_domain is None
    assert "no domain part" in refusal(balancer=SERVER, skip=["foreman"], fqdn="client01")


def test_the_removal_runs_its_own_step_list():
    assert app.steps_for(check(remove=True, skip=["foreman"])) is engine.REMOVE_STEPS
    assert app.steps_for(check(balancer=SERVER, skip=["foreman"])) is engine.STEPS


def test_repair_never_removes(root):
    path = "/etc/lbenroll/lbenroll.conf"
    seed(root, {path: "server = %s\nfqdn = c1.example.com\nskip = foreman\nremove = true\n"
                % SERVER})
    with pytest.raises(UsageError) as error:  # refused reading the file, or choosing steps
        app.steps_for(repair.recorded_options(None, {"root": str(root)}))
    assert "remove" in error.value.message
    assert error.value.exit_code == ExitCode.USAGE
