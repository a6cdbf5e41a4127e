"""The committed man page and bash completion against the code they document."""
import ast
import importlib
import os
import re
import shlex

import click
import pytest

from lbenroll import cli, engine, host, options  # engine imports every step and writer
from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode
from lbenroll.writers.base import Writer
from tools import docs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STALE = "stale: run `make docs` and commit the result"


def FAKE():
    """The fake subcommand, registered as cli.SUBCOMMANDS registers one: a function that
    imports its module and returns its click command."""
    from tests.docs import fake_command
    return fake_command.command


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


def _literal(node):
    """The str a literal node holds (ast.Str before Python 3.8), or None."""
    # .s only where there is no .value: Python 3.12 warns on reading .s (removed in 3.14).
    value = node.value if hasattr(node, "value") else getattr(node, "s", None)
    return value if type(node).__name__ in ("Constant", "Str") and isinstance(value, str) else None


def _value(module, node):
    """What a literal, a name or a dotted name in module's code stands for, or None."""
    if _literal(node) is not None:
        return _literal(node)
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        return getattr(_value(module, node.value), node.attr, None)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(module, element) for element in node.elts]
    return None


def _is_environ(node):
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def lbenroll_modules():
    """(module name, path) of every module of the lbenroll package."""
    top = os.path.join(REPO, "lbenroll")
    for directory, _, names in os.walk(top):
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, REPO)[:-len(".py")].split(os.sep)
                if relative[-1] == "__init__":
                    relative.pop()
                yield ".".join(relative), path


def parsed(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def variables_read(module_name, path):
    """The environment variables a module reads: os.environ.get(X), os.getenv(X),
    os.environ[X], X in os.environ, and click's envvar=X, with X a literal or a constant
    (resolved by importing the module, which happens only then: __main__ runs the CLI)."""
    nodes = []
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Call):
            func = node.func
            if node.args and ((isinstance(func, ast.Attribute) and func.attr == "get"
                               and _is_environ(func.value))
                              or (isinstance(func, ast.Attribute) and func.attr == "getenv")
                              or (isinstance(func, ast.Name) and func.id == "getenv")):
                nodes.append(node.args[0])
            nodes += [k.value for k in node.keywords if k.arg == "envvar"]
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            nodes.append(node.slice.value if type(node.slice).__name__ == "Index" else node.slice)
        elif (isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops)
              and any(_is_environ(c) for c in node.comparators)):
            nodes.append(node.left)
    module = importlib.import_module(module_name) if any(
        _literal(node) is None for node in nodes) else None
    names = set()
    for node in nodes:
        value = _value(module, node)
        values = value if isinstance(value, list) else [value]
        assert all(isinstance(v, str) for v in values), (
            "%s reads an environment variable this test cannot name (line %d): name it in the "
            "man page and teach the test" % (path, node.lineno))
        names.update(values)
    return names


def test_environment_names_every_variable_lbenroll_reads():
    documented = set(tags(sections(committed(docs.MAN_PAGE))["ENVIRONMENT"]))
    read = set()
    for module_name, path in lbenroll_modules():
        read |= variables_read(module_name, path)
    # The two the enrollment reads, through its constants: the scan must see them to be a scan.
    assert {options.PASSWORD_ENV, engine.KILL_BEFORE_ENV} <= read
    assert read <= documented


def test_environment_names_the_variables_by_the_constants_the_code_reads():
    page = docs.man_page("2030-01-01")
    documented = tags(sections(page)["ENVIRONMENT"])
    for variable in (options.PASSWORD_ENV, engine.KILL_BEFORE_ENV):
        assert variable in documented
    assert sorted(documented) == sorted(set(documented))


def test_a_variable_read_by_the_code_is_found(tmp_path, monkeypatch):
    source = tmp_path / "reads_env.py"
    source.write_text("import os\nNAME = 'LBENROLL_NEW'\n"
                      "def f():\n    return os.environ.get(NAME), os.environ['LITERAL']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert variables_read("reads_env", str(source)) == {"LBENROLL_NEW", "LITERAL"}


def imported(path):
    """The modules a file imports, anywhere in it (function-level imports included)."""
    names = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update("%s.%s" % (node.module, alias.name) for alias in node.names)
    return names


# What ENVIRONMENT calls each HTTP client that honours http_proxy, https_proxy and no_proxy.
HTTP_CLIENTS = {"requests": "python-requests", "urllib.request": "urllib"}


def test_environment_names_the_http_client_of_every_module_that_uses_one():
    text = " ".join(plain(" ".join(sections(committed(docs.MAN_PAGE))["ENVIRONMENT"])).split())
    used = {}
    for _, path in lbenroll_modules():
        for client in imported(path) & set(HTTP_CLIENTS):
            used.setdefault(HTTP_CLIENTS[client], []).append(os.path.relpath(path, REPO))
    assert used
    for name, paths in used.items():
        assert name in text, "%s use %s; ENVIRONMENT does not say so" % (", ".join(paths), name)
    # The page says the direct checks (probe.py) and lbenroll diagnose use no proxy.
    assert "lbenroll diagnose do not use a proxy" in text
    direct = [path for module_name, path in lbenroll_modules()
              if module_name == "lbenroll.probe" or module_name.startswith("lbenroll.diagnose")]
    for path in direct:
        assert not imported(path) & set(HTTP_CLIENTS), path


def test_the_man_page_says_it_is_generated_and_from_what():
    page = committed(docs.MAN_PAGE)
    head = [line for line in page.splitlines()[:10] if line.startswith('.\\"')]
    text = " ".join(line[3:].strip() for line in head)
    assert page.startswith('.\\"') and docs.man_page_date(page)
    for words in ("Generated by tools/docs.py", "make docs", "option table", "Do not edit"):
        assert words in text


def test_the_options_bootstrap_py_lacks_are_named_from_the_table():
    text = " ".join(plain(" ".join(sections(committed(docs.MAN_PAGE))["COMPATIBILITY"])).split())
    added = re.search(r"Options bootstrap\.py does not have: (.*?)\.(?: |$)", text).group(1)
    own = [spec.longs[0] for spec in options.OPTIONS if not spec.bootstrap_py]
    assert added.split(", ") == own
    # What only lbenroll has sits in its own group of the help, --password-file aside.
    assert {spec.longs[0] for spec in options.OPTIONS if spec.group == "lbenroll"
            and spec.type not in (options.HELP, options.VERSION)} == set(own) - {
        "--password-file"}


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
