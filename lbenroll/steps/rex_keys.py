"""REX_KEYS: install the remote execution SSH keys of every Smart Proxy (with --rex)."""
import collections
import os
import stat

from lbenroll import diskio, fileio, host, ports, webget
from lbenroll.errors import LbenrollError
from lbenroll.options import comma_list
from lbenroll.results import Result, Status
from lbenroll.smartproxies import (REX_CA_FIELD, REX_KEY_FIELD, SMART_PROXIES, label, rex_key_of,
                                   until_quiet)
from lbenroll.steps.base import Step
from lbenroll.writers.authorized_keys import (AuthorizedKeysWriter, find_user, parse_keys,
                                              present_pairs, target_for)
from lbenroll.writers.base import decode


KEY_PATH = "/ssh/pubkey"


MAX_KEY_FILE = 64 * 1024  # a key file is a few hundred bytes; anything larger is not one


def key_url(name):
    return "https://%s:%d%s" % (name, ports.SMART_PROXY_API, KEY_PATH)


class KeyFetcher(object):
    """HTTPS GETs of key files verified against the Katello CA; a new connection every time.

    With trust_system (a --rex-urlkeyfile, which may be on any web server, as bootstrap.py
    allowed) the system's CAs are accepted as well. Raises webget.BadCa for a CA that does not
    load.
    """

    def __init__(self, ca_pem, timeout, trust_system=False):
        self.timeout = timeout
        self._tls = webget.context(ca_pem, trust_system)

    def fetch(self, url):
        """The text at url; raises webget.GetError."""
        try:
            data = webget.get(url, self.timeout, self._tls, MAX_KEY_FILE)
        except webget.TooLarge as exc:
            raise webget.GetError("%s: not a key file" % exc.reason) from None
        return data.decode("utf-8", "replace")


class Collected(object):
    """The keys found (in the order first seen, each once) and what went wrong on the way.

    known: the (type, blob) pairs the target file holds already (present_pairs): such a key is
    kept like any other but is no news to the stop rule, so that asking a converged host stops
    sooner."""

    def __init__(self, known=frozenset()):
        self.keys = []
        self.fetches = 0
        self._seen = set()
        self._known = known
        self._failures = collections.OrderedDict()  # message -> how often

    @property
    def failures(self):
        return [message if count == 1 else "%s (%d times)" % (message, count)
                for message, count in self._failures.items()]

    def _failed(self, message):
        self._failures[message] = self._failures.get(message, 0) + 1

    def fetch(self, fetcher, url):
        """Fetch url, keep its new keys; return how many were news (add)."""
        self.fetches += 1
        try:
            text = fetcher.fetch(url)
        except webget.GetError as exc:
            self._failed("%s: %s" % (url, exc.reason))
            return 0
        return self.add(text, url)

    def add(self, text, source):
        """Keep the new keys of text (source names it in messages); return how many were news:
        neither seen before nor known."""
        keys, rejected = parse_keys(text)
        if not keys:
            self._failed("%s: not an SSH public key" % source)
        elif rejected:
            self._failed("%s: left out %d lines that are not keys" % (source, len(rejected)))
        new = [key for key in keys if (key.type, key.blob) not in self._seen]
        self._seen.update((key.type, key.blob) for key in new)
        self.keys += new
        return len([key for key in new if (key.type, key.blob) not in self._known])


def from_balancer(fetcher, url, installed=None):
    """Fetch url until QUIET_ROUNDS fetches in a row bring no key that is new and not in the
    bytes installed (the target file's, None: no file), or MAX_ROUNDS in all
    (smartproxies.until_quiet: a round-robin balancer shows every proxy within one round, so a
    proxy whose key the file lacks still shows)."""
    collected = Collected(present_pairs(decode(installed)) if installed else frozenset())
    until_quiet(lambda: collected.fetch(fetcher, url))
    return collected


def ask_balancer(ca_pem, url, timeout, installed):
    """from_balancer() verified against ca_pem: a function of its arguments alone, so that it
    can be begun early (early.py). Raises webget.BadCa for a CA that does not load."""
    return from_balancer(KeyFetcher(ca_pem, timeout), url, installed)


def from_each(fetcher, urls):
    collected = Collected()
    for url in urls:
        collected.fetch(fetcher, url)
    return collected


def from_smart_proxies(records, signed=()):
    """(Collected, names of the proxies without a key, names of those left out) of Smart Proxy
    records from the API. The key of a proxy named in signed (one whose SSH CA the host trusts)
    is left out, as Foreman's remote_execution_ssh_keys leaves out the key of every proxy that
    has a CA (foreman_remote_execution host_extensions.rb): it logs in with its certificate."""
    collected, keyless, left_out = Collected(), [], []
    for record in records:
        name = label(record)
        text = rex_key_of(record)
        if text is None:
            keyless.append(name)
        elif name in signed:
            left_out.append(name)
        else:
            collected.add(text, "Smart Proxy %s" % name)
    return collected, keyless, left_out


def signed_by_trusted_ca(run):
    """The names of the Smart Proxies whose SSH CA REX_CA had sshd trust (or, in a dry run, would
    have), read from the API records; none when REX_CA did not get that far (a warning: the API,
    sshd_config, `sshd -t`) or read no records."""
    ca = run.results.get("REX_CA")
    if ca is None or ca.status not in (Status.CHANGED, Status.UNCHANGED):
        return frozenset()
    return frozenset(ca.data.get("ca_proxies") or ())


def _proxies(options):
    return comma_list(options.remote_exec_proxies)


def _not_a_file(ctx, path):
    """Whether something other than a regular file is at path. A link in a directory root does
    not own (a user's home, its .ssh), there or anywhere on the way, is UnsafePath: that fails
    the step, as it must fail whenever it appears later in the run (diskio refuses it then)."""
    real = ctx.path(path)
    st = diskio.lstat(real)
    if st is None:
        return False
    if stat.S_ISLNK(st.st_mode) and not diskio.in_trusted_dir(real):
        raise diskio.UnsafePath(real, real)
    return not stat.S_ISREG(st.st_mode)


class RexKeys(Step):
    id = "REX_KEYS"
    title = "Install the remote execution SSH keys of every Smart Proxy (with --rex)"
    requires = ("INSTALL_CONSUMER_RPM",)

    def early(self, run):
        """The balancer's keys, unless another source is named or the host already trusts the
        proxies' SSH CA (then REX_CA most likely finds every proxy signing with it, and no key
        is fetched: the guess decides only what is begun early)."""
        options = run.options
        if not options.remote_exec or options.remote_exec_proxies or options.remote_exec_url \
                or options.remote_exec_apikeys \
                or fileio.read_bytes(run.ctx, host.REX_USER_CA) is not None:
            return
        target, _problem = self._where(run)
        ca_pem = run.katello_ca()
        if ca_pem and target:
            # The file's bytes now (a directory there raises: then nothing is begun).
            run.early.begin(ask_balancer, ca_pem, key_url(run.balancer), options.timeout,
                            fileio.read_bytes(run.ctx, target.path))

    def run(self, run):
        if not run.options.remote_exec:
            return Result(self.id, Status.SKIPPED, "remote execution keys not asked for (--rex)")
        target, problem = self._target(run)
        if problem is not None:
            return problem
        ca_pem = run.katello_ca()
        if not ca_pem:
            return self._warning("no Katello CA to verify the key downloads against",
                                 "enroll without --dry-run first, so that the consumer RPM "
                                 "installs %s" % host.KATELLO_SERVER_CA)
        try:
            return self._from_source(run, target, ca_pem)
        except webget.BadCa as exc:
            return self._warning("the Katello CA does not load (%s): no keys downloaded; %s "
                                 "left as it was" % (exc.reason, target.path),
                                 "put the Katello CA right: run lbenroll without --rex first, "
                                 "or give it with --ca-file")

    def _from_source(self, run, target, ca_pem):
        """Keys from where the options say (bootstrap.py's order), installed."""
        if run.options.remote_exec_proxies:
            return self._from_proxies(run, target, ca_pem)
        if run.options.remote_exec_url:
            return self._from_url(run, target, ca_pem)
        if run.options.remote_exec_apikeys:
            return self._from_api(run, target, ca_pem)
        ca = run.results.get("REX_CA")
        if ca is not None and ca.data.get("everywhere") and ca.status != Status.WARNING:
            # Foreman's remote_execution_ssh_keys leaves out the key of every proxy that has a
            # CA (foreman_remote_execution host_extensions.rb): such a proxy logs in with its
            # certificate. Every answer behind the balancer carried one, so none is needed.
            return Result(self.id, Status.UNCHANGED, "no per-proxy key needed: every Smart "
                          "Proxy behind %s signs with the SSH CA sshd trusts (REX_CA); %s left "
                          "as it was" % (run.balancer, target.path))
        return self._from_balancer(run, target, ca_pem)

    # -- where the keys go ------------------------------------------------------------------

    def _where(self, run):
        """(Target, None), or (None, a warning Result saying why no file can be named): where
        the keys go by the options and /etc/passwd; nothing is watched, the file not looked at."""
        options, ctx = run.options, run.ctx
        user = find_user(ctx, options.remote_exec_user)
        if user is None:
            return None, self._warning(
                "user %s not found in /etc/passwd: no keys installed" % options.remote_exec_user,
                "create the user first, or give another one with --rex-user")
        authpath = options.remote_exec_authpath
        if authpath and not os.path.isabs(authpath):
            return None, self._warning("--rex-authpath %s is not an absolute path: no keys "
                                       "installed" % authpath, "give the file's full path")
        if not authpath and not (os.path.isabs(user.home) and os.path.isdir(ctx.path(user.home))):
            return None, self._warning(
                "the home directory %s of %s does not exist: no keys installed" % (
                    user.home, user.name), "create it, or give the file with --rex-authpath")
        return target_for(user, authpath), None

    def _target(self, run):
        """(Target, None), or (None, a warning Result saying why no file can be written)."""
        target, problem = self._where(run)
        if problem is not None:
            return None, problem
        ctx = run.ctx
        ctx.watch(target.path if run.options.remote_exec_authpath
                  else os.path.dirname(target.path))
        if _not_a_file(ctx, target.path):
            # bootstrap.py also reports this and goes on.
            return None, self._warning(
                "%s exists but is not a regular file (a directory or a symlink): no keys "
                "installed" % target.path, "remove it, or give another file with --rex-authpath")
        return target, None

    # -- where the keys come from (bootstrap.py's order) --------------------------------------

    def _from_proxies(self, run, target, ca_pem):
        names = _proxies(run.options)
        collected = from_each(KeyFetcher(ca_pem, run.options.timeout),
                              [key_url(name) for name in names])
        return self._install(run, target, collected, "--rex-proxies %s" % ", ".join(names))

    def _from_url(self, run, target, ca_pem):
        url = run.options.remote_exec_url
        if not url.lower().startswith("https://"):
            # A key grants logins: it must come over a connection that proves its origin.
            return self._warning("--rex-urlkeyfile %s is not an https URL: no keys installed"
                                 % url, "serve the key file over https")
        collected = from_each(KeyFetcher(ca_pem, run.options.timeout, trust_system=True), [url])
        return self._install(run, target, collected, "--rex-urlkeyfile %s" % url)

    def _from_api(self, run, target, ca_pem):
        try:
            # Listed once per run: REX_CA read the same records for the proxies' CAs.
            records = run.smart_proxies(ca_pem)
        except LbenrollError as exc:
            # Never fatal, like a key download that fails in bootstrap.py (whose API listing
            # exits instead: docs/katello-client-facts.md, "bootstrap.py behaviour").
            return Result(self.id, Status.WARNING, "the Foreman API did not list the Smart "
                          "Proxies (%s): no keys installed" % exc.message,
                          remediation=exc.fix or "check the Foreman API through %s" % (
                              run.balancer))
        collected, keyless, left_out = from_smart_proxies(records, signed_by_trusted_ca(run))
        source = "--rex-apikeys: %s of the %d Smart Proxies Foreman lists (%s through %s)" % (
            REX_KEY_FIELD, len(records), SMART_PROXIES, run.balancer)
        notes = []
        if keyless:
            # A proxy without the remote execution feature has no key: expected, not a fault.
            notes.append("no %s on %d of them: %s" % (REX_KEY_FIELD, len(keyless),
                                                     ", ".join(keyless)))
        if left_out:
            notes.append("left out the keys of %d that sign with an SSH CA sshd trusts (their "
                         "%s, REX_CA), as Foreman leaves them out of remote_execution_ssh_keys: "
                         "%s" % (len(left_out), REX_CA_FIELD, ", ".join(left_out)))
        if not collected.keys and left_out:
            result = Result(self.id, Status.WARNING if collected.failures else Status.UNCHANGED,
                            "no per-proxy key needed: every Smart Proxy with a remote execution "
                            "key in Foreman signs with the SSH CA sshd trusts (REX_CA); %s left "
                            "as it was" % target.path,
                            detail=["keys from %s" % source] + notes + collected.failures,
                            data={"smart_proxies": len(records), "left_out": left_out})
            if collected.failures:
                result.summary = ("%d Smart Proxies sign with the SSH CA sshd trusts (REX_CA); "
                                  "the keys of the others are not SSH keys; %s left as it was" % (
                                      len(left_out), target.path))
                result.remediation = ("refresh those Smart Proxies in Foreman (detail), or name "
                                      "them with --rex-proxies")
            return result
        if not collected.keys:
            return Result(self.id, Status.WARNING, "no Smart Proxy in Foreman has a remote "
                          "execution key; %s left as it was" % target.path,
                          detail=["keys from %s" % source] + notes + collected.failures,
                          remediation="enable remote execution (SSH) on the Smart Proxies and "
                                      "refresh their features in Foreman, or name them with "
                                      "--rex-proxies")
        result = self._install(run, target, collected, source, notes)
        result.data["smart_proxies"] = len(records)
        result.data["left_out"] = left_out
        return result

    def _from_balancer(self, run, target, ca_pem):
        url = key_url(run.balancer)
        collected = run.early.answer(ask_balancer, ca_pem, url, run.options.timeout,
                                     fileio.read_bytes(run.ctx, target.path))
        count = len(collected.keys)
        note = None
        if count > 1:
            note = "the balancer answered with %d different keys (one per proxy): installed all" % (
                count)
        elif count == 1:
            note = ("the balancer answered with one key in %d fetches: it may be one proxy's "
                    "only; if more proxies stand behind %s, name them all with --rex-proxies" % (
                        collected.fetches, run.balancer))
        return self._install(run, target, collected, "%s (%d fetches)" % (url, collected.fetches),
                             note=note)

    # -- installing them ----------------------------------------------------------------------

    def _install(self, run, target, collected, source, notes=(), note=None):
        """Add the keys to target; notes go into the detail, note into the summary."""
        ctx = run.ctx
        detail = ["keys from %s" % source] + list(notes)
        if not collected.keys:
            return Result(self.id, Status.WARNING, "no remote execution key could be downloaded; "
                          "%s left as it was" % target.path, detail=detail + collected.failures,
                          remediation="fetch the URLs in the detail by hand to see why; each "
                                      "must serve SSH public keys over https")
        writer = AuthorizedKeysWriter(collected.keys, target)
        plan = writer.plan(fileio.read_bytes(ctx, target.path))
        result = writer.apply(ctx, plan)
        result.id = self.id
        added, total = len(plan.data["added"]), len(collected.keys)
        if added:
            summary = "%s %d of %d %s to %s" % ("would add" if ctx.dry_run else "added", added,
                                                total, "key" if total == 1 else "keys",
                                                target.path)
        else:
            summary = "%s already in %s" % ("the key is" if total == 1 else "all %d keys are"
                                             % total, target.path)
        result.summary = "%s; %s" % (summary, note) if note else summary
        result.detail = detail + result.detail + collected.failures
        result.data.update({"path": target.path, "user": run.options.remote_exec_user,
                            "fetches": collected.fetches})
        if collected.failures:
            result.status = Status.WARNING
            result.remediation = ("see why the other downloads failed (detail); the keys that "
                                  "could be downloaded are installed")
        return result

    def _warning(self, summary, remediation):
        return Result(self.id, Status.WARNING, summary, remediation=remediation)
