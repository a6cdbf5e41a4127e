"""Several activation keys, comma-separated as subscription-manager takes them: both reach the
registration, and neither shows in lbenroll's output, --json or log."""
import json
import os

from tests.e2e.test_enroll import ENROLL, lbenroll
from tests.lab.lab import ACTIVATION_KEY, SECOND_ACTIVATION_KEY


def registrations(lab):
    """The Candlepin stand-in's registration log (state/registrations.jsonl), oldest first."""
    path = os.path.join(lab.state_dir, "registrations.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def consumer(lab, consumer_uuid):
    with open(os.path.join(lab.state_dir, "consumers", consumer_uuid + ".json")) as f:
        return json.load(f)


def test_two_activation_keys_both_reach_the_registration_and_never_show(lab, sandbox):
    box = sandbox()
    argv = list(ENROLL)
    argv[argv.index(ACTIVATION_KEY)] = "%s,%s" % (ACTIVATION_KEY, SECOND_ACTIVATION_KEY)
    before = len(registrations(lab))
    proc = lbenroll(box, *(argv + ["--json", "--verbose"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr

    new = registrations(lab)[before:]
    assert len(new) == 1, new
    assert new[0]["name"] == "client01.example.test"
    assert new[0]["activation_keys"] == [ACTIVATION_KEY, SECOND_ACTIVATION_KEY]
    record = consumer(lab, new[0]["uuid"])
    assert [k["activationKeyName"] for k in record["activationKeys"]] == [
        ACTIVATION_KEY, SECOND_ACTIVATION_KEY]

    log = box.read_text("/var/log/lbenroll.log")
    assert "subscription-manager register" in log
    for text in (proc.stdout, proc.stderr, log):
        # "ak-lab" is a prefix of the second key, so this covers both.
        assert ACTIVATION_KEY not in text
        assert SECOND_ACTIVATION_KEY not in text
