from lbenroll.diagnose.checks import proxy_features
from tests.diagnose.conftest import NAMES, states, verdicts


def test_features_must_match_except_the_puppet_ca_of_the_one_signing_proxy():
    base = {"logs", "pulpcore", "registration", "templates"}
    found = {NAMES[0]: (base | {"puppetca"}, None, None), NAMES[1]: (base, None, None),
             NAMES[2]: (base - {"registration"}, None, None)}
    results = proxy_features.features_results(states(), found)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "unchanged",
                                 NAMES[2]: "failed"}
    assert "lacks the features registration that proxy01, proxy02 offer" in (
        results[NAMES[2]].summary)
