"""The lbenroll role's module (packaging/ansible/roles/lbenroll/library/lbenroll_run.py): the
command line per state, the options dict, and, run as Ansible runs it against a stand-in
lbenroll, the password in lbenroll's environment and nowhere in its argv or the result."""
import importlib.util
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.path.join(REPO, "packaging", "ansible", "roles", "lbenroll", "library",
                      "lbenroll_run.py")
SECRET = "pa55-w0rd-only-here"
KEY = "ak-secret-key"


def load():
    spec = importlib.util.spec_from_file_location("lbenroll_run", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def params(**given):
    base = {"executable": "/usr/bin/lbenroll", "state": "present", "server": "lb.example.com",
            "organization": "ACME", "activationkey": KEY, "fqdn": None, "login": "admin",
            "password": SECRET, "hostgroup": "lab/web", "location": None,
            "skip": ["foreman"], "puppet_ca_port": "8141", "ca_fingerprint": ["ab" * 32],
            "options": {}, "extra_args": []}
    base.update(given)
    return base


def test_present_enrolls_with_every_named_option_and_never_the_password():
    argv = load().build_argv(params())
    assert argv == ["/usr/bin/lbenroll", "--json", "--server", "lb.example.com",
                    "--organization", "ACME", "--activationkey", KEY, "--login", "admin",
                    "--hostgroup", "lab/web", "--puppet-ca-port", "8141", "--skip=foreman",
                    "--ca-fingerprint", "ab" * 32]
    assert SECRET not in " ".join(argv)


def test_reconnect_moves_without_registering_and_absent_removes():
    lbenroll_run = load()
    move = lbenroll_run.build_argv(params(state="reconnect"))
    assert move[:3] == ["/usr/bin/lbenroll", "--json", "--new-capsule"]
    assert "--activationkey" not in move and "--organization" not in move
    assert "--hostgroup" in move and "--puppet-ca-port" in move
    remove = lbenroll_run.build_argv(params(state="absent"), check_mode=True)
    assert remove == ["/usr/bin/lbenroll", "--json", "--remove", "--server", "lb.example.com",
                      "--login", "admin", "--skip=foreman", "--dry-run"]


def test_extra_options_one_key_each():
    words = load().option_words({"rex": True, "--rex-user": "ansible", "update": False,
                                 "comment": None, "enablerepos": ["a", "b"], "timeout": 60})
    assert words == ["--rex", "--rex-user=ansible", "--enablerepos=a", "--enablerepos=b",
                     "--timeout=60"]
    argv = load().build_argv(params(options={"rex": True}, extra_args=["-v"]))
    assert argv[-2:] == ["--rex", "-v"]


def run_module(tmp_path, exit_code=0, **args):
    """The module as Ansible runs it (arguments in a file), against a stand-in lbenroll that
    records its argv and environment and reports the password back in a summary."""
    fake = tmp_path / "lbenroll"
    fake.write_text(
        "#!/bin/sh\n"
        'printf "%%s\\n" "$@" > "%(dir)s/argv"\n'
        'printf "%%s" "$LBENROLL_PASSWORD" > "%(dir)s/password"\n'
        "cat <<EOF\n"
        '{"changed": true, "exit_code": %(code)d, "results": [{"id": "REGISTER", "status": '
        '"%(status)s", "summary": "echo $LBENROLL_PASSWORD", "remediation": "fix it"}]}\n'
        "EOF\n"
        "exit %(code)d\n" % {"dir": tmp_path, "code": exit_code,
                             "status": "failed" if exit_code not in (0, 3) else "changed"})
    fake.chmod(0o755)
    arguments = tmp_path / "args.json"
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(
        {"executable": str(fake), "server": "lb.example.com", "activationkey": KEY,
         "password": SECRET}, **args)}))
    proc = subprocess.run([sys.executable, MODULE, str(arguments)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    return proc, json.loads(proc.stdout)


def test_password_reaches_lbenroll_in_its_environment_only(tmp_path):
    proc, result = run_module(tmp_path)
    assert (tmp_path / "password").read_text() == SECRET
    assert SECRET not in (tmp_path / "argv").read_text()
    assert result["changed"] is True and result["rc"] == 0
    assert result["report"]["results"][0]["summary"] == "echo ********"
    assert SECRET not in proc.stdout + proc.stderr and KEY not in proc.stdout + proc.stderr


def test_failure_names_the_step_and_its_fix_and_check_mode_is_a_dry_run(tmp_path):
    proc, result = run_module(tmp_path, exit_code=69)
    assert result["failed"] is True and result["rc"] == 69
    assert result["msg"].startswith("lbenroll exited 69: REGISTER: echo ") and "fix: fix it" in \
        result["msg"]
    assert SECRET not in proc.stdout
    _, result = run_module(tmp_path, _ansible_check_mode=True)
    assert (tmp_path / "argv").read_text().splitlines()[-1] == "--dry-run"
