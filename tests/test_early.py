"""early.py: a probe begun before the steps is answered only for the very same arguments."""
import threading

import pytest

from lbenroll.early import Early


class Probe(object):
    """A probe that records its calls; it may wait for a gate before answering."""

    def __init__(self, gate=None):
        self.calls = []
        self.threads = []
        self.gate = gate

    def __call__(self, *args):
        self.calls.append(args)
        self.threads.append(threading.current_thread())
        if self.gate is not None:
            assert self.gate.wait(10)
        if args and args[0] == "broken":
            raise KeyError("a probe's bug")
        return ("answer",) + args


def test_an_answer_begun_early_is_taken_once_with_the_same_arguments():
    probe, early = Probe(), Early()
    early.begin(probe, "ca-1", 1883)
    early.begin(probe, "ca-1", 1883)  # begun once
    assert early.answer(probe, "ca-1", 1883) == ("answer", "ca-1", 1883)
    assert probe.calls == [("ca-1", 1883)]
    assert probe.threads[0] is not threading.current_thread()
    # Taken: asking again probes again, in the step's own thread.
    assert early.answer(probe, "ca-1", 1883) == ("answer", "ca-1", 1883)
    assert probe.calls == [("ca-1", 1883)] * 2
    assert probe.threads[1] is threading.current_thread()


def test_other_arguments_are_probed_again_then_and_there():
    # The run installed another CA after the probe began: the early answer is not used.
    probe, early = Probe(), Early()
    early.begin(probe, "old CA", 1883)
    assert early.answer(probe, "new CA", 1883) == ("answer", "new CA", 1883)
    assert sorted(probe.calls) == [("new CA", 1883), ("old CA", 1883)]
    assert probe.threads[probe.calls.index(("new CA", 1883))] is threading.current_thread()


def test_the_answer_waits_for_the_probe_to_finish():
    gate = threading.Event()
    probe, early = Probe(gate), Early()
    early.begin(probe, "x")
    threading.Timer(0.05, gate.set).start()  # the probe finishes only when the gate opens
    assert early.answer(probe, "x") == ("answer", "x")
    assert gate.is_set()


def test_an_exception_of_the_probe_reaches_the_step():
    probe, early = Probe(), Early()
    early.begin(probe, "broken")
    with pytest.raises(KeyError, match="a probe's bug"):
        early.answer(probe, "broken")


def test_a_probe_not_begun_is_made_in_the_asking_thread():
    probe = Probe()
    assert Early().answer(probe, "y") == ("answer", "y")
    assert probe.threads == [threading.current_thread()]
