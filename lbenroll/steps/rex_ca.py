"""REX_CA: trust the SSH CA the Smart Proxies sign their remote execution keys with (with --rex,
when they publish one at /ssh/ca_pubkey; with --rex-apikeys, as Foreman's API lists it): the CA
file, the sshd drop-in (or, where sshd_config does not include sshd_config.d, one line in it),
`sshd -t`, and a reload of sshd when either changed."""
import os

from lbenroll import fileio, host, ports, services, sshkeys, webget
from lbenroll.errors import LbenrollError
from lbenroll.options import comma_list, rex_keys_from_api
from lbenroll.results import Result, Status
from lbenroll.smartproxies import REX_CA_FIELD, SMART_PROXIES, label, rex_key_of, until_quiet
from lbenroll.steps.base import Step
from lbenroll.writers import rex_user_ca, sshd_config, sshd_dropin
from lbenroll.writers.base import Directory, Target

CA_PATH = "/ssh/ca_pubkey"
# What `sshd -t` says when it stops before reading further: no host key yet (sshd.c).
NO_HOST_KEYS = "no hostkeys available"


PENDING = Target(host.SSHD_RELOAD_PENDING, 0o600, "root", "root", "", Directory(0o700, "root",
                                                                               "root"))


def ca_url(name):
    return "https://%s:%d%s" % (name, ports.SMART_PROXY_API, CA_PATH)


class _NoCa(object):
    """An answer without a CA: the proxy has none, or is older than the endpoint."""

    def __repr__(self):
        return "NO_CA"


NO_CA = _NoCa()


class Answers(object):
    """What the proxies published: the CA keys (each once, by identity), how many answers came
    without a CA, and what went wrong. Each answer is a CaKey or NO_CA.

    known: what the host holds already (known_answers): an answer among them is kept like any
    other but is no news to the stop rule, so that asking a converged host stops sooner."""

    def __init__(self, known=frozenset()):
        self.keys = []
        self._known = known
        self.without = 0
        self.failures = []
        self.fetches = 0
        self._seen = set()
        # From Foreman's API (from_records): the proxies whose CA is a CA key, those without.
        self.signed = []
        self.unsigned = []

    def add(self, answer):
        """Keep one answer; returns 1 when it is news (smartproxies.until_quiet): neither seen
        before nor known, else 0."""
        mark = NO_CA if answer is NO_CA else (answer.type, answer.blob)
        if answer is NO_CA:
            self.without += 1
        new = mark not in self._seen
        self._seen.add(mark)
        if new and answer is not NO_CA:
            self.keys.append(answer)
        return 1 if new and mark not in self._known else 0

    def failed(self, message):
        self.failures.append(message)
        return 0 if message in self.failures[:-1] else 1

    @property
    def everywhere(self):
        """Every answer carried a CA: no proxy seen needs its own key in authorized_keys."""
        return bool(self.keys) and not self.without and not self.failures


def fetch(tls, url, timeout):
    """A CaKey, NO_CA, or a str saying why the answer is neither."""
    try:
        data = webget.get(url, timeout, tls, rex_user_ca.MAX_CA_KEY)
    except webget.TooLarge as exc:
        return "%s: %s: not a CA key" % (url, exc.reason)
    except webget.GetError as exc:
        if exc.status == 404:
            # smart_proxy_remote_execution_ssh before 1.0.0 has no such endpoint.
            return NO_CA
        return "%s: %s" % (url, exc.reason)
    try:
        key = rex_user_ca.parse_ca_key(data)
    except rex_user_ca.NotACaKey as exc:
        return "%s: not an SSH CA key (%s)" % (url, exc)
    return NO_CA if key is None else key


def known_answers(installed):
    """The answers a host with the CA file bytes installed (None: no file) already reflects:
    the CA keys in its file, or, without one, NO_CA. A proxy whose answer is not among them
    still makes a round news, so the stop rule still finds every answer that would change the
    host (a round-robin shows every proxy within QUIET_ROUNDS rounds)."""
    if installed is None:
        return frozenset([NO_CA])
    return rex_user_ca.identity(rex_user_ca.keys_in(installed.decode("ascii", "replace")))


def collect(tls, urls, timeout, rounds=False, installed=None):
    """Answers of urls: each once, or (rounds) the one balancer URL until more fetches bring
    nothing new (a round-robin balancer shows every proxy within one round) beyond what the
    CA file bytes installed already say (known_answers)."""
    answers = Answers(known_answers(installed))

    def one(url):
        answers.fetches += 1
        got = fetch(tls, url, timeout)
        if isinstance(got, str):
            return answers.failed(got)
        return answers.add(got)

    if rounds:
        until_quiet(lambda: one(urls[0]))
    else:
        for url in urls:
            one(url)
    return answers


def from_records(records):
    """Answers of the Smart Proxy records of Foreman's API (--rex-apikeys): every remote
    execution proxy (a record with a remote_execution_pubkey) gives its
    remote_execution_ca_pubkey, checked as the bytes of /ssh/ca_pubkey are (the same parser, the
    same size); a record without a key is no remote execution proxy and says nothing. Foreman
    trusts the CA of every such proxy, each once (host_extensions.rb,
    remote_execution_ssh_ca_keys)."""
    answers = Answers()
    for record in records:
        if rex_key_of(record) is None:
            continue
        name = label(record)
        value = record.get(REX_CA_FIELD)
        if value is None:
            key = None
        elif not isinstance(value, str):
            answers.failed("Smart Proxy %s: %s is not text" % (name, REX_CA_FIELD))
            continue
        else:
            try:
                key = rex_user_ca.parse_ca_key(value.encode("utf-8"))
            except rex_user_ca.NotACaKey as exc:
                answers.failed("Smart Proxy %s: %s is not an SSH CA key (%s)" % (
                    name, REX_CA_FIELD, exc))
                continue
        if key is None:
            answers.add(NO_CA)
            answers.unsigned.append(name)
        else:
            answers.add(key)
            answers.signed.append(name)
    return answers


def ask(ca_pem, urls, timeout, rounds, installed):
    """collect() verified against ca_pem: a function of its arguments alone, so that it can be
    begun early (early.py). Raises webget.BadCa for a CA that does not load."""
    return collect(webget.context(ca_pem), urls, timeout, rounds, installed)


class RexCa(Step):
    id = "REX_CA"
    title = "Trust the Smart Proxies' SSH CA for remote execution (with --rex, when published)"
    requires = ("INSTALL_CONSUMER_RPM",)

    def _question(self, run):
        """The arguments of ask() for this run, or None when nothing is to be asked (with
        --rex-apikeys the CAs come from Foreman's API, which is not asked early)."""
        options = run.options
        ca_pem = run.katello_ca() if options.remote_exec and not rex_keys_from_api(options) \
            else None
        if not ca_pem:
            return None
        names = comma_list(options.remote_exec_proxies)
        urls = tuple(ca_url(name) for name in names) or (ca_url(run.balancer),)
        return ca_pem, urls, options.timeout, not names, fileio.read_bytes(run.ctx,
                                                                          host.REX_USER_CA)

    def early(self, run):
        question = self._question(run)
        if question is not None:
            run.early.begin(ask, *question)

    def run(self, run):
        options = run.options
        if not options.remote_exec:
            return Result(self.id, Status.SKIPPED, "remote execution not asked for (--rex)")
        if rex_keys_from_api(options):
            return self._from_api(run)
        question = self._question(run)
        if question is None:
            return self._no_katello_ca(CA_PATH)
        try:
            answers = run.early.answer(ask, *question)
        except webget.BadCa as exc:
            return self._warning("the Katello CA does not load (%s): %s not asked" % (
                exc.reason, CA_PATH), "put the Katello CA right: run lbenroll without --rex "
                                      "first, or give it with --ca-file")
        urls = list(question[1])
        source = "asked %s (%d fetches)" % (", ".join(urls), answers.fetches)
        return self._judge(run, answers, source, urls, "at %s" % CA_PATH,
                           "fetch the URL in the detail by hand to see why")

    def _from_api(self, run):
        """--rex-apikeys: the CAs of the records Foreman's API lists (the same listing REX_KEYS
        reads its keys from: Run.smart_proxies)."""
        ca_pem = run.katello_ca()
        if not ca_pem:
            return self._no_katello_ca("the Foreman API")
        try:
            records = run.smart_proxies(ca_pem)
        except LbenrollError as exc:
            # Never fatal, as REX_KEYS's listing is not.
            return Result(self.id, Status.WARNING, "the Foreman API did not list the Smart "
                          "Proxies (%s): the host's SSH trust left as it was" % exc.message,
                          remediation=exc.fix or "check the Foreman API through %s" % (
                              run.balancer))
        answers = from_records(records)
        where = "%s through %s" % (SMART_PROXIES, run.balancer)
        source = "--rex-apikeys: %s of the %d Smart Proxies Foreman lists (%s)" % (
            REX_CA_FIELD, len(records), where)
        result = self._judge(run, answers, source, [where], "in Foreman's API (%s)" % (
            REX_CA_FIELD), "check the ssh_user_ca_public_key_file of the Smart Proxies in "
                           "the detail, then refresh their features in Foreman")
        result.data["smart_proxies"] = len(records)
        return result

    def _judge(self, run, answers, source, sources, where, remediation):
        """The result of the answers (source: the detail's first line, sources: the data's)."""
        data = {"sources": sources, "fetches": answers.fetches, "everywhere": answers.everywhere,
                "without_ca": answers.without,
                "cas": [sshkeys.summary(key) for key in answers.keys],
                # The API's proxies whose CA is trusted: REX_KEYS leaves their keys out.
                "ca_proxies": list(answers.signed)}
        if answers.failures and not answers.keys:
            return Result(self.id, Status.WARNING, "could not learn whether the Smart Proxies "
                          "publish an SSH CA; the host's SSH trust left as it was",
                          detail=[source] + answers.failures, data=data,
                          remediation=remediation)
        if not answers.keys:
            return Result(self.id, Status.UNCHANGED, "no Smart Proxy publishes an SSH CA %s: "
                          "remote execution uses the per-proxy keys (REX_KEYS)" % where,
                          detail=[source], data=data)
        return self._trust(run, answers, source, data)

    def _trust(self, run, answers, source, data):
        ctx = run.ctx
        detail = [source] + ["published: %s" % line for line in data["cas"]]
        if answers.signed:
            detail.append("with a CA: %s" % ", ".join(answers.signed))
        if len(answers.keys) > 1:
            # Foreman's remote_execution_ssh_ca_keys is every proxy's CA, each once: the host
            # trusts them all (foreman_remote_execution host_extensions.rb).
            detail.append("the proxies publish %d different CAs: all are trusted, as Global "
                          "Registration does; lbenroll diagnose names which proxy has which"
                          % len(answers.keys))
        if answers.unsigned:
            detail.append("%d remote execution Smart Proxies have no CA: %s; they need their "
                          "own keys (REX_KEYS installs them)" % (len(answers.unsigned),
                                                                  ", ".join(answers.unsigned)))
        elif answers.without:
            detail.append("%d answer(s) came without a CA: those proxies need their own keys "
                          "(REX_KEYS installs them)" % answers.without)
        detail += answers.failures
        main = fileio.read_bytes(ctx, host.SSHD_CONFIG)
        if main is None:
            return Result(self.id, Status.WARNING, "%s does not exist: sshd is not installed; "
                          "the SSH CA is not trusted" % host.SSHD_CONFIG, detail=detail,
                          data=data, remediation="install openssh-server, then run lbenroll "
                                                 "repair")
        main_text = main.decode("utf-8", "surrogateescape")
        trust = sshd_config.read_trust(ctx, main_text)
        others = sshd_config.foreign(trust)
        if others:
            # Never shadow, or be shadowed by, a CA someone else set up for sshd.
            return Result(self.id, Status.WARNING, "sshd already trusts another CA file (%s): "
                          "the Smart Proxies' CA is not added" % ", ".join(
                              "%s in %s" % (value, path) for path, value in others),
                          detail=detail, data=data,
                          remediation="add the CA keys (detail) to that file by hand, or point "
                                      "that TrustedUserCAKeys at %s and run lbenroll repair" % (
                                          host.REX_USER_CA))
        writers = [rex_user_ca.RexUserCaWriter(answers.keys)]
        if trust.includes_dropin:
            writers.append(sshd_dropin.SshdDropinWriter())
        else:
            writers.append(sshd_config.SshdConfigWriter())
        plans = [(writer, writer.plan(fileio.read_bytes(ctx, writer.target.path)))
                 for writer in writers]
        changed = [writer.target.path for writer, plan in plans if plan.changed]
        if changed and not ctx.dry_run:
            for writer, _ in plans:
                ctx.watch(writer.target.path)
            # LIFO: this runs after the writes below are undone, so that sshd reads its files
            # as they were again.
            ctx.undo.push("reload sshd", lambda: services.reload(ctx, host.SSHD_SERVICE))
        if changed and not ctx.dry_run:
            fileio.write_file(ctx, PENDING, b"", undo=False, backup_first=False)
        results = [writer.apply(ctx, plan) for writer, plan in plans]
        for result in results:
            detail += [result.summary] + list(result.detail)
        result = Result(self.id, Status.CHANGED if changed else Status.UNCHANGED, "",
                        detail=detail, data=data,
                        diff=lambda: "".join(plan.diff for _, plan in plans))
        data["files"] = [writer.target.path for writer, _ in plans]
        what = "the SSH CA%s of the Smart Proxies (%s)" % (
            "s" if len(answers.keys) > 1 else "", ", ".join(
                sshkeys.fingerprint(key) for key in answers.keys))
        if not changed:
            result.summary = "sshd trusts %s" % what
            if fileio.read_bytes(ctx, host.SSHD_RELOAD_PENDING) is not None and not ctx.dry_run:
                # An earlier run wrote the files and was stopped before sshd read them.
                result.status = Status.CHANGED
                result.summary += self._reload(run, "; reloaded sshd, which an earlier run "
                                               "left unreloaded")
            return result
        if ctx.dry_run:
            result.summary = "would have sshd trust %s (%s) and reload it" % (
                what, ", ".join(changed))
            return result
        problem = self._validate(run)
        if problem is not None:
            for writer, plan in reversed(plans):
                if plan.changed:
                    fileio.take_back(ctx, writer.target, plan.current, plan.wanted)
            fileio.restore_bytes(ctx, PENDING, None)  # sshd's files are as they were
            result.status = Status.WARNING
            result.summary = "sshd -t refused the configuration with the CA: %s; put back as " \
                             "it was" % problem
            result.remediation = "run sshd -t to see why, fix it, then run lbenroll repair"
            return result
        result.summary = "sshd trusts %s now (%s)%s" % (
            what, ", ".join(changed), self._reload(run, "; reloaded sshd"))
        return result

    def _reload(self, run, done):
        """Reload sshd (done: what the summary then says); the pending mark goes after it."""
        reloaded = services.reload(run.ctx, host.SSHD_SERVICE, step=self.id)
        fileio.restore_bytes(run.ctx, PENDING, None)
        return done if reloaded else "; sshd reads it when it starts (systemd is not running)"

    def _validate(self, run):
        """None when `sshd -t` accepts the configuration (or sshd is not there to ask), else
        its complaint."""
        ctx = run.ctx
        if not os.path.exists(ctx.path(host.SSHD_BIN)):
            return None
        done = ctx.run(ctx.in_root(host.SSHD_BIN, "-t"))
        if done is None or done.ok:
            return None
        output = ctx.runner.output(done) or "exit %s" % done.returncode
        if NO_HOST_KEYS in output:
            # A host installed a moment ago (kickstart %post) has no host keys until sshd's
            # first start makes them (sshd-keygen); sshd -t then says only that.
            return None
        return output

    def _no_katello_ca(self, what):
        return self._warning("no Katello CA to verify %s against" % what,
                             "enroll without --dry-run first, so that the consumer RPM "
                             "installs %s" % host.KATELLO_SERVER_CA)

    def _warning(self, summary, remediation):
        return Result(self.id, Status.WARNING, summary, remediation=remediation)
