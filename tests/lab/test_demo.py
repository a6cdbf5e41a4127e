"""The demo's own contract, without a lab: any check that fails makes it exit 1, naming it."""
import contextlib

from tests.lab import demo


class FakeBox(object):
    def remove(self):
        pass


class FakeLab(object):
    def __init__(self, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def sandbox(self, name, fqdn=None):
        return FakeBox()


def run_demo(monkeypatch, capsys, outcomes):
    """main() with each chapter replaced by checks with the given outcomes."""
    monkeypatch.setattr(demo.os, "geteuid", lambda: 0)
    monkeypatch.setattr(demo, "Lab", FakeLab)
    checks = iter(outcomes)
    for chapter in ("problem", "cure", "drift", "diagnose", "removal"):
        monkeypatch.setattr(demo.Demo, chapter,
                            lambda self, *args, name=chapter: self.check(next(checks), name))
    code = demo.main()
    return code, capsys.readouterr().out


def test_the_demo_exits_0_when_every_check_passes(monkeypatch, capsys):
    code, out = run_demo(monkeypatch, capsys, [True] * 5)
    assert code == 0 and "Done: all 5 checks passed" in out


def test_the_demo_exits_1_when_any_check_fails(monkeypatch, capsys):
    code, out = run_demo(monkeypatch, capsys, [True, True, False, True, True])
    assert code == 1
    assert "   FAILED: drift" in out and "Demo FAILED: 1 of 5 checks: drift" in out


def test_the_lab_is_removed_even_when_a_chapter_breaks(monkeypatch, capsys):
    removed = []
    monkeypatch.setattr(FakeBox, "remove", lambda self: removed.append(True))
    monkeypatch.setattr(demo.Demo, "problem", lambda self: 1 / 0)
    monkeypatch.setattr(demo.os, "geteuid", lambda: 0)
    monkeypatch.setattr(demo, "Lab", FakeLab)
    with contextlib.suppress(ZeroDivisionError):
        demo.main()
    assert removed == [True]
