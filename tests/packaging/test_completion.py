"""The generated bash completion, run by a real bash as the shell would run it."""
import os
import subprocess

import pytest

from lbenroll import cli, options
from tests.docs.test_docs import FAKE, REPO
from tools import docs


def complete(script, words):
    """COMPREPLY for the command line `words`, the last word being completed."""
    array = " ".join("'%s'" % word for word in words)
    code = ('source "$1"; COMP_WORDS=(%s); COMP_CWORD=%d; _lbenroll; '
            'printf "%%s\\n" "${COMPREPLY[@]}"' % (array, len(words) - 1))
    result = subprocess.run(["bash", "--norc", "-c", code, "bash", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    assert result.returncode == 0, result.stderr
    return sorted(line for line in result.stdout.splitlines() if line)


@pytest.fixture
def committed():
    return os.path.join(REPO, docs.BASH_COMPLETION)


@pytest.fixture
def with_fake(tmp_path, monkeypatch):
    monkeypatch.setitem(cli.SUBCOMMANDS, "fake", FAKE)
    path = tmp_path / "lbenroll.bash"
    path.write_text(docs.bash_completion())
    return str(path)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "subdir").mkdir()
    (tmp_path / "sublog").write_text("")
    return str(tmp_path)


def test_options_are_completed(committed):
    assert complete(committed, ["lbenroll", "--sk"]) == ["--skip"]
    assert complete(committed, ["lbenroll", "--dry"]) == ["--dry-run"]


def test_only_supported_options_are_offered(committed):
    offered = complete(committed, ["lbenroll", ""])
    assert "--server" in offered and "--no-remove-obsolete-packages" in offered
    for spec in options.OPTIONS:
        assert (spec.longs[0] in offered) == (spec.status == options.SUPPORTED)


def test_skip_values(committed):
    assert complete(committed, ["lbenroll", "--skip", ""]) == sorted(options.SKIP_CHOICES)
    assert complete(committed, ["lbenroll", "--skip", "=", "pu"]) == ["puppet", "puppet-enable"]
    assert complete(committed, ["lbenroll", "--skip", "="]) == sorted(options.SKIP_CHOICES)


def test_download_method_values(committed):
    assert complete(committed, ["lbenroll", "--download-method", ""]) == ["http", "https"]


def test_paths(committed, tree):
    assert complete(committed, ["lbenroll", "--root", tree + "/sub"]) == [tree + "/subdir"]
    assert complete(committed, ["lbenroll", "--log-file", tree + "/sub"]) == [
        tree + "/subdir", tree + "/sublog"]


def test_nothing_is_offered_for_a_free_form_value(committed):
    assert complete(committed, ["lbenroll", "-o", ""]) == []
    assert complete(committed, ["lbenroll", "--activationkey", "--"]) == []


def test_subcommands_and_their_options(with_fake, tree):
    assert complete(with_fake, ["lbenroll", "f"]) == ["fake"]
    assert "fake" in complete(with_fake, ["lbenroll", ""])
    assert complete(with_fake, ["lbenroll", "fake", "--format", ""]) == ["json", "text"]
    assert complete(with_fake, ["lbenroll", "fake", "--"]) == sorted(
        ["--server", "--format", "--save", "--into", "--color", "--no-color", "--help"])
    assert complete(with_fake, ["lbenroll", "fake", "--into", tree + "/sub"]) == [
        tree + "/subdir"]
    assert complete(with_fake, ["lbenroll", "fake", tree + "/sub"]) == [
        tree + "/subdir", tree + "/sublog"]
    assert complete(with_fake, ["lbenroll", "--skip", ""]) == sorted(options.SKIP_CHOICES)
