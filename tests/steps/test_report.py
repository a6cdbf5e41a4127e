"""The text report: its first line, and lines at the right length; --json as the steps made it."""
import json

import pytest

from lbenroll import report
from lbenroll.results import Result, Status


def test_first_line_names_the_balancer_and_the_answering_proxy(make_run):
    run = make_run()
    run.answering_proxy = "proxy02.example.test"
    text = report.as_text(run, [Result("PREFLIGHT", Status.UNCHANGED, "ok")], 0)
    assert text.splitlines()[0] == (
        "lbenroll: balancer smartproxy.example.test, answering proxy proxy02.example.test")


def test_a_run_without_a_balancer_says_so(make_run):
    run = make_run()
    run.options.balancer = None  # a content-only --remove needs no --server
    text = report.as_text(run, [Result("UNREGISTER", Status.UNCHANGED, "ok")], 0)
    assert text.splitlines()[0] == "lbenroll: no balancer given"


# -- the right length: one line for what a failure kept from running, one per skip reason ------

PUPPET_REASON = ("skipped because Foreman is skipped (--skip foreman or --content-only): an "
                 "agent without a Foreman host record gets no catalog from Foreman")


def failed_run(make_run, failing="REGISTER"):
    """The real engine on the enrollment's step ids: every step passes until `failing` fails."""
    from lbenroll import engine
    from lbenroll.errors import ProtocolError
    from tests.test_engine import make_step

    steps = [make_step(step.id, raises=ProtocolError("refused", fix="check the key")
                       if step.id == failing else None) for step in engine.STEPS]
    run = make_run()
    return run, engine.execute(run, steps)


def test_the_steps_a_failure_kept_from_running_are_one_line(make_run):
    run, results = failed_run(make_run)
    not_run = [r.id for r in results if r.status == Status.SKIPPED]
    assert len(not_run) > 10
    text = report.as_text(run, results, 76)
    [line] = [line for line in text.splitlines() if "not run" in line]
    assert line.startswith("  not run   because REGISTER failed: %s, %s, " % tuple(not_run[:2]))
    assert line.endswith(", ... (%d steps)" % len(not_run)) and len(line) <= report.WIDTH
    assert not any(line.split()[1:2] == [step_id] for step_id in not_run
                   for line in text.splitlines())
    assert "  failed    REGISTER" in text and "fix: check the key" in text


def test_verbose_lists_each_step_a_failure_kept_from_running(make_run):
    run, results = failed_run(make_run)
    not_run = [r.id for r in results if r.status == Status.SKIPPED]
    lines = report.as_text(run, results, 76, verbose=True).splitlines()
    listed = [line.split()[2] for line in lines if line.startswith("  not run ")]
    assert listed == not_run
    assert all(line.endswith("because REGISTER failed") for line in lines
               if line.startswith("  not run "))


def test_a_few_steps_kept_from_running_are_all_named(make_run):
    run, results = failed_run(make_run, failing="INSIGHTS_CLIENT")
    assert report.not_run_line(results[-2], results[-1:]) == (
        "  not run   because INSIGHTS_CLIENT failed: RECORD_OPTIONS (1 step)")
    assert "because INSIGHTS_CLIENT failed: RECORD_OPTIONS (1 step)" in report.as_text(
        run, results, 1)


def test_a_skip_reason_shared_by_several_steps_is_said_once_on_one_line(make_run):
    results = [Result(step_id, Status.SKIPPED, PUPPET_REASON)
               for step_id in ("PUPPET_INSTALL", "PUPPET_CERT", "PUPPET_ENABLE")]
    results.insert(1, Result("PUPPET_CONF", Status.CHANGED, "updated puppet.conf"))
    lines = report.as_text(make_run(), results, 0).splitlines()[1:-1]
    assert lines == [
        "  skipped   PUPPET_INSTALL because Foreman is skipped (--skip foreman or --content-only)",
        "  changed   PUPPET_CONF    updated puppet.conf",
        "  skipped   PUPPET_CERT    for the same reason as PUPPET_INSTALL",
        "  skipped   PUPPET_ENABLE  for the same reason as PUPPET_INSTALL"]


def test_verbose_gives_every_skip_reason_whole(make_run):
    results = [Result(step_id, Status.SKIPPED, PUPPET_REASON)
               for step_id in ("PUPPET_INSTALL", "PUPPET_CERT")]
    text = report.as_text(make_run(), results, 0, verbose=True)
    assert text.count(PUPPET_REASON[len("skipped "):]) == 2


@pytest.mark.parametrize("text, cut", [
    ("short enough", "short enough"),
    ("because X is skipped (--skip x): the long explanation of why that matters here",
     "because X is skipped (--skip x)"),
    ("one long clause without any of the marks that a reader would take for a pause at all",
     "one long clause without any of the marks that..."),
])
def test_a_long_skip_reason_is_cut_at_its_last_clause_that_fits(text, cut):
    assert report.one_line(text, 50) == cut


def test_json_keeps_every_result_as_the_steps_made_it(make_run):
    run, results = failed_run(make_run)
    results.append(Result("PUPPET_CERT", Status.SKIPPED, PUPPET_REASON))
    data = json.loads(report.as_json("1.0", run, results, 76))
    assert [r["summary"] for r in data["results"]] == [r.summary for r in results]
    assert data["results"][-2]["summary"] == "not run: REGISTER failed"


def test_a_diff_is_indented_line_by_line_and_masked(make_run):
    run = make_run()
    run.ctx.runner.dry_run = True
    run.ctx.redact.add("s3cret-value")
    diff = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x = s3cret-value\n+x = y\n"
    text = report.as_text(run, [Result("RHSM_CONF", Status.CHANGED, "would update f",
                                       diff=diff)], 0)
    assert "\n      --- a/f\n      +++ b/f\n      @@ -1 +1 @@\n      -x = ******\n" \
           "      +x = y\n" in text


@pytest.mark.parametrize("summary, reads", [
    ("skipped with --skip puppet", "with --skip puppet"),
    ("not run: YGGDRASIL_CONFIG skipped", "because YGGDRASIL_CONFIG skipped"),
    ("no --enablerepos given", "no --enablerepos given"),
])
def test_a_skip_reads_as_a_sentence_after_skipped_and_the_step(make_run, summary, reads):
    text = report.as_text(make_run(), [Result("CHECK_MQTT", Status.SKIPPED, summary)], 0)
    assert text.splitlines()[1] == "  skipped   CHECK_MQTT %s" % reads


def test_a_long_reason_without_a_colon_is_cut_before_its_parenthesis():
    text = ("katello-agent is not in use on this host (no /etc/gofer/plugins/katello.conf, no "
            "--install-katello-agent)")
    assert report.one_line(text, 67) == "katello-agent is not in use on this host"


def test_json_masks_every_secret_even_one_json_would_escape(make_run):
    run = make_run()
    secret = 'pa"ss\\word'
    run.ctx.redact.add(secret)
    results = [Result("RHSM_CONF", Status.CHANGED, "updated",
                      detail=["proxy_password: %s" % secret],
                      diff="-proxy_password = %s\n+proxy_password = x\n" % secret)]
    text = report.as_json("0", run, results, 0)
    assert secret not in json.loads(text)["results"][0]["diff"]
    assert secret not in text and json.dumps(secret)[1:-1] not in text
