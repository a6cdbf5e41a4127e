"""The committed man page and bash completion against the code they document."""
import os
import re
import shlex

import click
import pytest

import lbenroll.engine  # noqa: F401 (imports every step and so every writer the steps use)
from lbenroll import cli, docs, host, options
from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode
from lbenroll.writers.base import Writer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = "tests.docs.fake_command:command"
STALE = "stale: run `make docs` and commit the result"


def committed(relative):
    with open(os.path.join(REPO, relative), encoding="utf-8") as f:
        return f.read()


def plain(markup):
    """Roff markup as the reader sees it."""
    return re.sub(r"\\f[BIR]", "", markup).replace("\\-", "-").replace("\\&", "").replace(
        "\\e", "\\")


def sections(page):
    """{section name: [lines]} of a man(7) page."""
    found, name = {}, None
    for line in page.splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip('"')
            found[name] = []
        elif name:
            found[name].append(line)
    return found


def tags(lines):
    """The tag line of every .TP item, as plain text."""
    return [plain(lines[i + 1]) for i, line in enumerate(lines[:-1]) if line == ".TP"]


def documented_options(page):
    """{"": enrollment's option names, subcommand name: its option names} from the man page."""
    def names(lines):
        return {word.rstrip(",") for tag in tags(lines) for word in tag.split()
                if word.startswith("-")}
    parts = sections(page)
    documented = {"": names(parts["OPTIONS"])}
    command, block = None, []
    for line in parts.get("COMMANDS", []) + ['.SS "lbenroll end"']:
        if line.startswith(".SS "):
            if command:
                documented[command] = names(block)
            command, block = line[4:].strip('"').split()[1], []
        else:
            block.append(line)
    return documented


def cli_options():
    """The same, from the click commands themselves."""
    def names(params):
        return {name for p in params if isinstance(p, click.Option)
                for name in list(p.opts) + list(p.secondary_opts)}
    found = {"": names(cli.command.params)}
    for name in cli.SUBCOMMANDS:
        command = cli.subcommand(name)
        ctx = click.Context(command, **(command.context_settings or {}))  # as click.main does
        found[name] = names(command.get_params(ctx))
    return found


@pytest.fixture
def fake_subcommand(monkeypatch):
    monkeypatch.setitem(cli.SUBCOMMANDS, "fake", FAKE)


def test_the_committed_man_page_is_current():
    page = committed(docs.MAN_PAGE)
    assert docs.man_page(docs.man_page_date(page)) == page, "%s %s" % (docs.MAN_PAGE, STALE)


def test_the_committed_completion_is_current():
    assert docs.bash_completion() == committed(docs.BASH_COMPLETION), "%s %s" % (
        docs.BASH_COMPLETION, STALE)


def test_every_command_line_option_is_in_the_man_page_and_no_other():
    assert documented_options(committed(docs.MAN_PAGE)) == cli_options()


def test_a_subcommand_is_documented_once_registered(fake_subcommand):
    page = docs.man_page("2030-01-01")
    assert documented_options(page) == cli_options()
    assert cli_options()["fake"] == {"-s", "--server", "--format", "--save", "--into",
                                     "--color", "--no-color", "--help"}
    commands = sections(page)["COMMANDS"]
    assert ".PP" in commands and "Changes nothing on the host." in commands
    assert "-s, --server FQDN" in tags(commands)
    assert "--format CHOICE" in tags(commands)
    assert "How to print the findings. One of: text, json. [default: text]" in " ".join(commands)
    assert "lbenroll fake [OPTION]... [LOGS...]" in [plain(line) for line in
                                                  sections(page)["SYNOPSIS"]]


def test_options_follow_the_table_with_its_help_text():
    lines = sections(committed(docs.MAN_PAGE))["OPTIONS"]
    titles = [line[4:].strip('"') for line in lines if line.startswith(".SS ")]
    assert titles == [plain(title) for _, title in options.GROUPS]
    in_help_order = [spec for group, _ in options.GROUPS for spec in options.OPTIONS
                     if spec.group == group]
    assert [tag.split()[0].rstrip(",") for tag in tags(lines)] == [
        spec.names[0] for spec in in_help_order]
    text = " ".join(plain(" ".join(lines)).split())
    for spec in options.OPTIONS:
        assert options.help_text(spec) in text


def test_files_lists_every_writer_target_and_the_host_state():
    listed = tags(sections(committed(docs.MAN_PAGE))["FILES"])
    writers = set()
    pending = list(Writer.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.target:
            writers.add(cls.target.path)
    assert writers and writers <= set(listed)
    for path in (host.BACKUP_DIR, host.LOCK_FILE, host.DEFAULT_LOG_FILE, host.KATELLO_SERVER_CA,
                 host.KATELLO_DEFAULT_CA, host.CA_TRUST_ANCHOR, host.CONSUMER_CERT):
        assert path in listed
    assert len(listed) == len(set(listed))


def test_exit_status_lists_every_exit_code_in_order():
    lines = sections(committed(docs.MAN_PAGE))["EXIT STATUS"]
    assert [int(tag) for tag in tags(lines)] == [int(code) for code, _ in EXIT_CODE_MEANINGS]
    assert {int(code) for code, _ in EXIT_CODE_MEANINGS} == {int(code) for code in ExitCode}


def test_compatibility_names_every_refused_and_deprecated_option():
    text = plain(" ".join(sections(committed(docs.MAN_PAGE))["COMPATIBILITY"]))
    for spec in options.OPTIONS:
        if spec.status != options.SUPPORTED:
            assert spec.longs[0] in text


def test_environment_names_every_variable_lbenroll_reads():
    text = plain(" ".join(sections(committed(docs.MAN_PAGE))["ENVIRONMENT"]))
    read = set()
    for directory, _, names in os.walk(os.path.join(REPO, "lbenroll")):
        for name in names:
            if name.endswith(".py"):
                with open(os.path.join(directory, name)) as f:
                    read.update(re.findall(
                        r"(?:environ\.get|getenv)\(\s*[\"'](\w+)|environ\[[\"'](\w+)", f.read()))
    variables = {v for pair in read for v in pair if v}
    variables.update(variable for variable, _, _ in docs.environment_variables())
    for variable in variables:
        assert variable in text


def command_lines(example):
    """The lbenroll commands of an example, continuation lines joined."""
    text = "\n".join(example).replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.startswith("lbenroll ")]


def parse_example(example):
    """Parse every lbenroll command of an example with the real click command."""
    commands = command_lines(example)
    assert commands, "an example without an lbenroll command: %r" % (example,)
    for argv in commands:
        name = argv[1] if len(argv) > 1 and argv[1] in cli.SUBCOMMANDS else None
        command = cli.subcommand(name) if name else cli.command
        command.make_context("lbenroll", argv[2 if name else 1:])


@pytest.mark.parametrize("text, example", docs.examples())
def test_every_example_parses(text, example):
    parse_example(example)


def test_an_example_with_an_unknown_option_fails_to_parse():
    with pytest.raises(click.UsageError):
        parse_example(("lbenroll -s lb.example.com \\", "    --no-such-option",))


def test_an_example_for_a_subcommand_appears_once_it_is_registered(monkeypatch):
    example = ("fake", "Compare:", ("lbenroll fake -s lb.example.com --format json",))
    monkeypatch.setattr(docs, "EXAMPLES", docs.EXAMPLES + (example,))
    assert ("Compare:", example[2]) not in docs.examples()
    monkeypatch.setitem(cli.SUBCOMMANDS, "fake", FAKE)
    assert ("Compare:", example[2]) in docs.examples()
    parse_example(example[2])


def test_text_is_escaped_for_roff():
    assert docs.roff("--skip C:\\temp") == "\\-\\-skip C:\\etemp"
    assert docs._wrap(".hidden request") == ["\\&.hidden request"]


def test_update_keeps_the_date_until_the_content_changes(tmp_path):
    root = str(tmp_path)
    assert docs.update(root, today="2030-01-01") == [docs.MAN_PAGE, docs.BASH_COMPLETION]
    assert docs.update(root, today="2031-01-01") == []
    path = os.path.join(root, docs.MAN_PAGE)
    with open(path) as f:
        page = f.read()
    assert docs.man_page_date(page) == "2030-01-01"
    with open(path, "w") as f:
        f.write(page + "An edit by hand.\n")
    assert docs.update(root, today="2031-01-01") == [docs.MAN_PAGE]
    with open(path) as f:
        assert f.read() == docs.man_page("2031-01-01")
