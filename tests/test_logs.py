"""The log file: created for root alone, never reached through a link, every line redacted."""
import logging
import os
import stat

import pytest

from lbenroll import logs
from lbenroll.redact import Redactor


@pytest.fixture(autouse=True)
def no_handlers_left():
    logger = logging.getLogger("lbenroll")
    level, propagate = logger.level, logger.propagate
    yield
    logs.configure(Redactor())  # closes the file handlers a test opened
    # As before: pytest's caplog, in the tests after these, hears lbenroll through the root.
    logger.setLevel(level)
    logger.propagate = propagate


def test_the_log_file_is_created_for_root_alone_and_redacted(tmp_path):
    path = str(tmp_path / "log" / "lbenroll.log")
    assert logs.configure(Redactor(["Pa55word!"]), path) is None
    logging.getLogger("lbenroll").info("login with Pa55word!")
    logs.configure(Redactor())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        assert f.read().endswith(" INFO login with ******\n")


def test_an_existing_log_is_appended_to(tmp_path):
    path = tmp_path / "lbenroll.log"
    path.write_text("before\n")
    logs.configure(Redactor(), str(path))
    logging.getLogger("lbenroll").info("after")
    logs.configure(Redactor())
    lines = path.read_text().splitlines()
    assert lines[0] == "before" and lines[1].endswith(" INFO after")


def test_a_link_in_the_log_files_place_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("root's\n")
    os.chmod(str(victim), 0o644)
    os.symlink(str(victim), str(tmp_path / "lbenroll.log"))
    note = logs.configure(Redactor(), str(tmp_path / "lbenroll.log"))
    logging.getLogger("lbenroll").info("a line")
    assert note == ("cannot write the log file %s (a symbolic link); logging to it is off"
                    % (tmp_path / "lbenroll.log"))
    assert victim.read_text() == "root's\n" and stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_a_fifo_in_the_log_files_place_is_refused_not_waited_on(tmp_path):
    # Opened O_NONBLOCK: a FIFO without a reader is refused at once (ENXIO), one with a reader
    # fails the regular-file check; neither is written to or waited on.
    os.mkfifo(str(tmp_path / "lbenroll.log"))
    note = logs.configure(Redactor(), str(tmp_path / "lbenroll.log"))
    assert note.startswith("cannot write the log file %s (" % (tmp_path / "lbenroll.log"))
    assert note.endswith("); logging to it is off")
