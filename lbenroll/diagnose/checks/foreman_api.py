"""FOREMAN_API: the Foreman API (--foreman, --login) was read, its server verified first.

From what round one found (the records read once, or why not): no request of its own. Only with
--login; otherwise there is no result at all.
"""
from lbenroll import consumer
from lbenroll.diagnose.verdicts import passed, warned

API_FIX = ("check --foreman (a host name, or https://host:port for a port other than 443), "
           "--login and the password; meanwhile the proxies come from --proxies or discovery")


def judge(known, answer):
    if known.foreman is None:
        return []
    return [check_foreman_api(known.foreman, known.foreman_trust, known.listed,
                              known.api_problem)]


def check_foreman_api(foreman, trust, listed, api_problem):
    """FOREMAN_API for the server foreman: trust is the trust.ForemanTrust the password was (or
    was not) sent under, listed the records read, api_problem why they were not."""
    if trust is not None and trust.ca is None:
        return warned("FOREMAN_API", foreman, api_problem, trust.fix, sent=False)
    if listed is None:
        return warned("FOREMAN_API", foreman, "the Foreman API could not be read: %s"
                      % api_problem, API_FIX, sent=True)
    ca = trust.ca
    return passed("FOREMAN_API", foreman, "%d Smart Proxy records read; the server was verified "
                  "against the Katello CA SHA-256 %s (%s) before the password was sent" % (
                      len(listed), consumer.pretty_fingerprint(ca.fingerprint), ca.origin),
                  sent=True, sha256=ca.fingerprint)
