"""The README's HAProxy example ("On your Katello") is a configuration the real HAProxy accepts,
with the port layout the load-balancer guide asks for (katello-client-facts.md sections 1, 10)."""
import os
import re
import subprocess

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "README.md")
FIRST_LINE = "# /etc/haproxy/haproxy.cfg on the balancer"


def readme_example():
    """The indented block that starts with FIRST_LINE, without its indentation."""
    with open(README) as f:
        lines = f.read().splitlines()
    start = [i for i, line in enumerate(lines) if line.strip() == FIRST_LINE]
    assert len(start) == 1, "the README has no single HAProxy example"
    indent = len(lines[start[0]]) - len(lines[start[0]].lstrip())
    block = []
    for line in lines[start[0]:]:
        if not line.startswith(" " * indent) or not line.strip():
            break
        block.append(line[indent:])
    return "\n".join(block) + "\n"


def haproxy_check(tmp_path, text):
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    return subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True,
                          timeout=60)


def sections(text):
    """{listen name: [its lines]}."""
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith("listen "):
            current = found.setdefault(line.split()[1], [])
        elif line.startswith(" ") and current is not None:
            current.append(line.strip())
        else:
            current = None
    return found


def test_readme_haproxy_example_is_valid(tmp_path):
    text = readme_example()
    proc = haproxy_check(tmp_path, text)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The check can fail: the same text with a typo is refused.
    broken = haproxy_check(tmp_path, text.replace("balance source", "balance sourse"))
    assert broken.returncode != 0


def test_readme_haproxy_example_has_the_guides_ports():
    listens = sections(readme_example())
    by_port = {}
    for lines in listens.values():
        for line in lines:
            match = re.match(r"bind :(\d+)$", line)
            if match:
                by_port[int(match.group(1))] = lines
    assert set(by_port) >= {443, 8141, 5647, 1883, 9090}
    assert "mode tcp" in readme_example()  # TCP passthrough: client certificates reach the proxies
    assert "balance source" in by_port[443]  # sticky: one proxy's metadata per client
    ca_servers = [line for line in by_port[8141] if line.startswith("server ")]
    assert len(ca_servers) == 1 and ca_servers[0].split()[2].endswith(":8140")
    for port in (443, 5647, 1883, 9090):
        servers = [line for line in by_port[port] if line.startswith("server ")]
        assert len(servers) >= 2 and all(s.split()[2].endswith(":%d" % port) for s in servers)
