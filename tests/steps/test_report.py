"""The text report's first line names the balancer and the answering proxy, when there are any."""
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
    run.options.foreman_fqdn = None  # a content-only --remove needs no --server
    text = report.as_text(run, [Result("UNREGISTER", Status.UNCHANGED, "ok")], 0)
    assert text.splitlines()[0] == "lbenroll: no balancer given"
