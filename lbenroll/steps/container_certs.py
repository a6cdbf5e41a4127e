"""CONTAINER_CERTS: podman's and flatpak's certificates for the balancer's container registry
(--container-registry-certs), as Global Registration sets them up for its registration host."""
import os

from lbenroll import fileio, host
from lbenroll.options import container_registry_names, is_hostname
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step

# Global Registration's snippet (theforeman/foreman, app/views/unattended/
# provisioning_templates/snippet/container_certs_setup.erb) links, in
# /etc/containers/certs.d/<registration host>/ (no port: the registry answers on 443),
# ca-bundle.crt to the system bundle and client.cert/client.key to an entitlement
# certificate; containers-certs.d(5) reads *.crt as CAs and *.cert/*.key as a client pair.
CA_BUNDLE = "ca-bundle.crt"
CLIENT_CERT = "client.cert"
CLIENT_KEY = "client.key"


class ContainerCerts(Step):
    id = "CONTAINER_CERTS"
    title = "Container registry certificates for the balancer and the proxies named"
    requires = ("REGISTER",)

    def run(self, run):
        options, ctx = run.options, run.ctx
        if not options.container_registry_certs:
            return Result(self.id, Status.SKIPPED, "no --container-registry-certs given")
        names = registry_names(run)
        if not os.path.exists(ctx.path(host.SYSTEM_CA_BUNDLE)):
            return Result(self.id, Status.WARNING, "%s does not exist: nothing to link the "
                          "registry's CA to" % host.SYSTEM_CA_BUNDLE,
                          remediation="reinstall ca-certificates, then run `lbenroll repair`")
        pair = entitlement_pair(ctx)
        if pair is None:
            if ctx.dry_run and run.changed("REGISTER"):
                return Result(self.id, Status.CHANGED, "would link %s once registered" % (
                    ", ".join(_directory(name) for name in names)))
            return Result(self.id, Status.WARNING, "no entitlement certificate in %s to "
                          "present to the registry" % host.ENTITLEMENT_DIR,
                          remediation="run `subscription-manager refresh`, then "
                                      "`lbenroll repair`")
        cert, key = pair
        wanted = [(os.path.join(_directory(name), link), target) for name in names
                  for link, target in ((CA_BUNDLE, host.SYSTEM_CA_BUNDLE),
                                       (CLIENT_CERT, cert), (CLIENT_KEY, key))]
        changed = [(path, target) for path, target in wanted
                   if not fileio.links_to(ctx, path, target)]
        detail = ["%s%s -> %s" % ("would link " if ctx.dry_run else "", path, target)
                  for path, target in changed]
        if not changed:
            return Result(self.id, Status.UNCHANGED, "already linked for %s" % ", ".join(names))
        if not ctx.dry_run:
            for path, target in changed:
                fileio.link_file(ctx, path, target)
        return Result(self.id, Status.CHANGED, "%s %d link(s) for %s" % (
            "would make" if ctx.dry_run else "made", len(changed), ", ".join(names)),
            detail=detail)


def registry_names(run):
    """The balancer, then --container-registry-proxies when given, else the proxies behind the
    balancer that FOREMAN_HOST found in the Foreman API; then every name set up before (its
    client.cert links into the entitlement directory), so that a repair, which asks no API,
    keeps the proxies an enrollment found linked to the newest certificate."""
    names = container_registry_names(run.options)
    found = [] if run.options.container_registry_proxies else run.registry_proxies or []
    for name in list(found) + set_up_before(run.ctx):
        if name.lower() not in (seen.lower() for seen in names):
            names.append(name)
    return names


def set_up_before(ctx):
    """The names under /etc/containers/certs.d whose client.cert is a link into the entitlement
    directory (this step's, or Global Registration's), sorted. Links are read, never followed."""
    directory = ctx.path(host.CONTAINERS_CERTS_DIR)
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return []
    names = []
    for name in entries:
        try:
            target = os.readlink(os.path.join(directory, name, CLIENT_CERT))
        except OSError:  # not a directory, no client.cert, or not a link
            continue
        if is_hostname(name) and target.startswith(host.ENTITLEMENT_DIR + "/"):
            names.append(name)
    return names


def _directory(name):
    return "%s/%s" % (host.CONTAINERS_CERTS_DIR, name)


def entitlement_pair(ctx):
    """(certificate, key) host paths of the newest entitlement certificate that has its key
    (<serial>.pem and <serial>-key.pem), or None. rhsmcertd replaces it with one of a new
    serial now and then: every run and repair links the newest."""
    directory = ctx.path(host.ENTITLEMENT_DIR)
    try:
        names = set(os.listdir(directory))
    except OSError:
        return None
    pairs = []
    for name in names:
        key = name[:-len(".pem")] + "-key.pem"
        if name.endswith(".pem") and not name.endswith("-key.pem") and key in names:
            try:
                mtime = os.stat(os.path.join(directory, name)).st_mtime
            except OSError:  # gone since the listing (rhsmcertd renewing), or a broken link
                continue
            pairs.append((mtime, name, key))
    if not pairs:
        return None
    _, cert, key = max(pairs)
    return ("%s/%s" % (host.ENTITLEMENT_DIR, cert), "%s/%s" % (host.ENTITLEMENT_DIR, key))
