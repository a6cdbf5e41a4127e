"""The repair service and timer: systemd-analyze verify accepts them, and they say what we ship."""
import configparser
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = os.path.join(REPO, "packaging", "systemd")
SYSTEM_UNITS = "/usr/lib/systemd/system"


def unit(name):
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(os.path.join(UNITS, name))
    return parser


def test_systemd_analyze_verify_accepts_them_without_a_warning(tmp_path):
    if shutil.which("systemd-analyze") is None or not os.path.isdir(SYSTEM_UNITS):
        pytest.fail("needs systemd-analyze and systemd's units (apt-get install systemd)",
                    pytrace=False)
    # An image of an installed host: systemd's own units, ours, and the command they run.
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, str(root / SYSTEM_UNITS.lstrip("/")), symlinks=True)
    for name in os.listdir(UNITS):
        shutil.copy(os.path.join(UNITS, name), str(root / SYSTEM_UNITS.lstrip("/")))
    command = root / "usr/bin/lbenroll"
    command.parent.mkdir()
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    proc = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--root", str(root),
         "lbenroll-repair.service", "lbenroll-repair.timer"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


def test_the_service_is_a_oneshot_repair_after_the_network_started_only_by_the_timer():
    service = unit("lbenroll-repair.service")
    assert service.get("Service", "Type") == "oneshot"
    assert service.get("Service", "ExecStart") == "/usr/bin/lbenroll repair"
    assert service.get("Unit", "After") == "network-online.target"
    assert service.get("Unit", "Wants") == "network-online.target"
    assert service.get("Unit", "ConditionPathExists") == "/etc/lbenroll/lbenroll.conf"
    assert not service.has_section("Install")  # nothing enables it but the timer


def test_the_timer_repeats_spread_out_and_is_enabled_into_timers_target():
    timer = unit("lbenroll-repair.timer")
    assert dict(timer.items("Timer")) == {"OnBootSec": "15min", "OnUnitActiveSec": "12h",
                                          "RandomizedDelaySec": "1h"}
    assert timer.get("Install", "WantedBy") == "timers.target"
