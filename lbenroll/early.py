"""Read-only network probes begun when a run starts, answered when their steps ask.

A repair spends most of its time waiting for the balancer: the SSH keys and CA the proxies
publish, the MQTT broker's CONNACK. A step may begin such a probe before the first step runs
(Step.early), with what the host holds at that moment (the Katello CA on disk, the port in a
configuration file), and ask for its answer when it runs (Step.run). The rule that keeps this
correct: a probe is a function of its arguments alone, and the step asks with the arguments it
would use without it. An answer begun early is taken only for the very same function and
arguments (the same CA bytes, the same port, the same timeout); when anything differs (the run
installed another CA, rewrote the port) the step probes again, then and there. A guess about
what a run will need therefore decides only what is begun early, never what is used.
"""
import threading


class _Begun(object):
    """One probe running on a thread of its own: its answer, or the exception it raised."""

    def __init__(self, function, args):
        self.answer = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(function, args), daemon=True)
        self.thread.start()

    def _run(self, function, args):
        try:
            self.answer = function(*args)
        except BaseException as exc:  # raised again in the step that asks for it
            self.error = exc


class Early(object):
    """The probes a run began early, by (function, arguments); each answer is taken once."""

    def __init__(self):
        self._begun = {}

    def begin(self, function, *args):
        """Start function(*args) on a thread of its own; args must be hashable (str, int,
        tuple): they are the probe's identity."""
        key = (function, args)
        if key not in self._begun:
            self._begun[key] = _Begun(function, args)

    def answer(self, function, *args):
        """function(*args): the answer begun early with the very same arguments (waited for),
        else made now."""
        begun = self._begun.pop((function, args), None)
        if begun is None:
            return function(*args)
        begun.thread.join()
        if begun.error is not None:
            raise begun.error
        return begun.answer

    def pending(self):
        """How many probes were begun and not yet asked for."""
        return len(self._begun)
