#!/usr/bin/python3
"""The lab's stand-in for yggdrasil's daemon with the Foreman worker (yggd + foreman_ygg_worker).

Why a stand-in: yggdrasil and foreman_ygg_worker are Go programs that Debian does not package
(Debian's `yggdrasil` is an unrelated mesh network), and they need D-Bus and systemd, which the
lab's sandboxes do not run. This does the part lbenroll sets up and the balancer carries: it
reads /etc/yggdrasil/config.toml as yggd does (the broker from `server` or `broker`, `cert-file`,
`key-file`, `ca-root`; RedHatInsights/yggdrasil internal/config/config.go), takes the client id
from the certificate's subject CN (the consumer UUID, as yggd does with a certificate), connects
to the broker over TLS with that certificate, verifying the broker against ca-root under the
name in the URL, and subscribes to `yggdrasil/<client id>/data/in` with QoS 1, the topic
yggd subscribes to (cmd/yggd/client.go) and the Smart Proxy publishes pull-mode jobs on
(docs/katello-client-facts.md, "Pull-mode remote execution: how a job reaches a host"). The
MQTT client is Debian's mosquitto_sub; each message received is printed, line by line, then it
exits.

Usage: ygg_worker.py [--config PATH] [--count N] [--wait SECONDS] [--log PATH]
--log: where mosquitto_sub's debug lines ("received SUBACK", the messages) go; default stdout.
"""
import argparse
import os
import subprocess
import sys
import tomllib
import urllib.parse

DEFAULT_CONFIG = "/etc/yggdrasil/config.toml"
TOPIC = "yggdrasil/%s/data/in"  # yggd's default path-prefix is "yggdrasil"


def read_config(path):
    with open(path, "rb") as f:
        config = tomllib.load(f)
    brokers = config.get("server") or config.get("broker")
    if isinstance(brokers, str):
        brokers = [brokers]
    if not brokers:
        raise SystemExit("%s names no broker (server or broker)" % path)
    ca_root = config.get("ca-root") or []
    if isinstance(ca_root, str):
        ca_root = [ca_root]
    return brokers[0], config.get("cert-file"), config.get("key-file"), ca_root


def client_id(cert_file):
    """The certificate's subject CN, as yggd takes its client id from it."""
    proc = subprocess.run(["openssl", "x509", "-in", cert_file, "-noout", "-subject",
                           "-nameopt", "RFC2253"], capture_output=True, text=True, check=True)
    for part in proc.stdout.strip().split("=", 1)[1].split(","):
        key, _, value = part.partition("=")
        if key.strip() == "CN":
            return value.strip()
    raise SystemExit("%s has no subject CN" % cert_file)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--wait", type=int, default=60)
    parser.add_argument("--log")
    args = parser.parse_args(argv)
    broker, cert_file, key_file, ca_root = read_config(args.config)
    url = urllib.parse.urlsplit(broker)
    if url.scheme not in ("mqtts", "ssl", "tls") or not (cert_file and key_file and ca_root):
        raise SystemExit("%s: want an mqtts:// broker, cert-file, key-file and ca-root" % (
            args.config))
    identity = client_id(cert_file)
    # stdbuf: mosquitto_sub's stdout is a file here, which stdio would flush only at exit.
    argv = ["stdbuf", "-oL", "-eL", "mosquitto_sub", "-d", "-V", "mqttv311", "-h", url.hostname,
            "-p", str(url.port or 8883), "--cafile", ca_root[0], "--cert", cert_file,
            "--key", key_file, "-i", identity, "-t", TOPIC % identity, "-q", "1",
            "-C", str(args.count), "-W", str(args.wait)]
    out = open(args.log, "a", buffering=1) if args.log else sys.stdout
    print("worker: %s as %s, topic %s" % (broker, identity, TOPIC % identity), file=out,
          flush=True)
    os.dup2(out.fileno(), 1)
    os.dup2(out.fileno(), 2)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
