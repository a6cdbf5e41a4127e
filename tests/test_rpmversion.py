"""rpmvercmp ordering (cases from rpm's own test suite) and NVR splitting."""
import pytest

from lbenroll import rpmversion
from lbenroll.rpmversion import older, split_nvr, vercmp


@pytest.mark.parametrize("a,b,expected", [
    ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0), ("2.0", "2.0.1", -1), ("2.0.1a", "2.0.1", 1),
    ("5.5p1", "5.5p2", -1), ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1), ("xyz10", "xyz10.1", -1),
    ("xyz.4", "8", -1), ("8", "xyz.4", 1),
    ("1.0aa", "1.0a", 1), ("2", "10", -1), ("010", "10", 0), ("1.01", "1.1", 0),
    ("1b.fc17", "1.fc17", -1), ("1.0~rc1", "1.0", -1), ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc1~git123", "1.0~rc1", -1), ("1.0^", "1.0", 1), ("1.0^git1", "1.0", 1),
    ("1.0^git1", "1.01", -1), ("1.0^git1~pre", "1.0^git1", -1), ("1_0", "1.0", 0),
    ("a", "a+", 0), ("", "0", -1),
])
def test_vercmp_orders_like_rpm(a, b, expected):
    assert vercmp(a, b) == expected
    assert vercmp(b, a) == -expected


def test_split_nvr_keeps_dashes_in_the_name():
    assert split_nvr("katello-ca-consumer-proxy01.example.test-1.0-12") == (
        "katello-ca-consumer-proxy01.example.test", "1.0", "12")


def test_older_compares_version_then_release():
    assert older(("1.0", "1"), ("1.0", "2"))
    assert older(("1.0", "9"), ("1.1", "1"))
    assert not older(("1.0", "10"), ("1.0", "9"))
    assert not older(("1.0", "1"), ("1.0", "1"))


@pytest.mark.parametrize("a, b, expected", [
    (("0", "1.0", "2"), ("0", "1.0", "1"), 1),
    (("1", "0.1", "1"), ("0", "9.9", "9"), 1),
    (("", "1.0", "1"), ("0", "1.0", "1"), 0),          # no epoch is epoch 0
    (("10", "1", "1"), ("9", "1", "1"), 1),            # epochs are numbers, not text
    (("0", "1.10", "1.el9"), ("0", "1.9", "5.el9"), 1),
    (("0", "1.0", "1.el9"), ("0", "1.0", "1.el9_1"), -1),
])
def test_evrcmp_orders_builds_as_rpm_does(a, b, expected):
    assert rpmversion.evrcmp(a, b) == expected
    assert rpmversion.evrcmp(b, a) == -expected


def test_nevra_shows_the_epoch_only_when_it_is_not_zero():
    assert rpmversion.nevra("foo", ("0", "1.2", "3.el9"), "noarch") == "foo-1.2-3.el9.noarch"
    assert rpmversion.nevra("foo", ("2", "1.2", "3"), "x86_64") == "foo-2:1.2-3.x86_64"
