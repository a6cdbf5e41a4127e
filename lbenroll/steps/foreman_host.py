"""FOREMAN_HOST: the host's Foreman record, created or brought up to date through the balancer.

It runs before anything on the host changes, so a lookup that finds nothing stops the run with
the host untouched. Unlike bootstrap.py, an existing record is updated in place (never deleted,
not even with --force), and a record that already matches is left alone. With --new-capsule the
record must exist: its content source, Puppet proxies and OpenSCAP proxy move to the Smart Proxy
for --server.
"""
import platform
import socket
import uuid

from lbenroll.errors import DataError
from lbenroll.foreman import HOSTS, ForemanApi, search_text, smart_proxies_for
from lbenroll.options import is_hostname
from lbenroll.results import Result, Status
from lbenroll.smartproxies import SMART_PROXIES, behind_load_balancer
from lbenroll.steps.base import Step
from lbenroll.urls import host_of


KATELLO_ORGS = "/katello/api/organizations"


# Foreman's feature names for the Puppet proxies a host record points at.
PUPPET_FEATURES = (("puppet_proxy_id", "Puppet", "puppet_server"),
                   ("puppet_ca_proxy_id", "Puppet CA", "puppet_ca_server"))
# foreman_openscap's host field and the feature its proxy must have (bootstrap.py's --new-capsule
# sets it when the new proxy lists the feature; foreman_openscap refuses a proxy without it,
# openscap_proxy_core_extensions.rb `openscap_proxy_has_feature`).
OPENSCAP_PROXY = ("openscap_proxy_id", "Openscap")


ENROLL_INSTEAD = "enroll it instead: drop --new-capsule (enrolling creates the host record)"


class ForemanHost(Step):
    id = "FOREMAN_HOST"
    title = "Create or update the Foreman host record through the balancer"
    requires = ("VERIFY_BALANCER_TLS",)

    def run(self, run):
        options = run.options
        if options.foreman_left_alone:
            return Result(self.id, Status.SKIPPED, "Foreman host record left alone (%s)"
                          % options.foreman_left_alone)
        if options.foreman_skipped:
            return Result(self.id, Status.SKIPPED, "--skip foreman: no host record")
        if options.recorded_in:
            return Result(self.id, Status.SKIPPED, "repair run: the host record is left alone")
        with ForemanApi(run.balancer, run.consumer.server_ca_pem, options.timeout, run.tmpdir,
                        options.login, options.password) as api:
            api.ping()
            found = registry_proxies(run, api)
            result = self._record(run, api)
            if found is not None:
                result.detail.append("container registry proxies behind %s (Foreman API): %s" % (
                    run.balancer, ", ".join(found) or "none"))
            return result

    def _record(self, run, api):
        options = run.options
        if options.new_capsule:
            return self._move(run, api)
        org = api.lookup("organizations", "name", options.org, path=KATELLO_ORGS)
        run.org_label = org.get("label") or options.org
        body, notes = wanted_host(run, api, org)
        existing = api.find("hosts", "name", options.fqdn)
        if existing is None:
            return self._create(run, api, body, notes)
        current = api.request("GET", "%s/%s" % (HOSTS, existing["id"]))
        return self._update(run, api, current, body, notes)

    def _create(self, run, api, body, notes):
        ctx, fqdn = run.ctx, run.options.fqdn
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would create host %s" % fqdn,
                          detail=notes + field_lines(body))
        created = api.request("POST", HOSTS, body={"host": body})
        host_id = created.get("id")
        ctx.undo.push("delete host %s created by this run" % fqdn,
                      lambda: api_call(run, "DELETE", "%s/%s" % (HOSTS, host_id)))
        return Result(self.id, Status.CHANGED, "created host %s (id %s) on port %d" % (
            fqdn, host_id, api.port), detail=notes + field_lines(body),
            data={"host_id": host_id, "org_label": run.org_label})

    def _update(self, run, api, current, body, notes):
        ctx, fqdn = run.ctx, run.options.fqdn
        changes = differences(current, body)
        data = {"host_id": current.get("id"), "org_label": run.org_label}
        if not changes:
            return Result(self.id, Status.UNCHANGED, "host %s is up to date" % fqdn,
                          detail=notes, data=data)
        detail = notes + ["%s: %r -> %r" % (key, current_value(current, key), value)
                          for key, value in sorted(changes.items())]
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would update host %s" % fqdn, detail=detail)
        api.request("PUT", "%s/%s" % (HOSTS, current["id"]), body={"host": changes})
        return Result(self.id, Status.CHANGED, "updated host %s (%s)" % (
            fqdn, ", ".join(sorted(changes))), detail=detail, data=data)


    def _move(self, run, api):
        """--new-capsule: the existing record's content source, Puppet proxies and, when given,
        host group and location; one PUT of what differs, undone by a PUT of the old values."""
        ctx, fqdn = run.ctx, run.options.fqdn
        current = existing_host(run, api)
        body, notes, warnings = moved_host(run, api, current)
        changes = differences(current, body)
        data = {"host_id": current.get("id")}
        detail = notes + ["%s: %r -> %r" % (key, current_value(current, key), value)
                          for key, value in sorted(changes.items())]
        if not changes:
            status, summary = Status.UNCHANGED, "host %s already points at %s" % (
                fqdn, run.balancer)
        elif ctx.dry_run:
            status, summary = Status.CHANGED, "would move host %s to %s" % (fqdn, run.balancer)
        else:
            path = "%s/%s" % (HOSTS, current["id"])
            api.request("PUT", path, body={"host": changes})
            old = dict((key, previous_value(current, key)) for key in changes)
            ctx.undo.push("put host %s back on its previous Smart Proxies" % fqdn,
                          lambda: api_call(run, "PUT", path, body={"host": old}))
            status, summary = Status.CHANGED, "moved host %s to %s (%s)" % (
                fqdn, run.balancer, ", ".join(sorted(changes)))
        if warnings:
            return Result(self.id, Status.WARNING, "%s; %s" % (summary, "; ".join(warnings)),
                          detail=detail, data=data,
                          remediation="set the missing Smart Proxies on the host in Foreman, or "
                                      "register the proxies behind %s with "
                                      "--foreman-proxy-registration-url https://%s:9090" % (
                                          run.balancer, run.balancer))
        return Result(self.id, status, summary, detail=detail, data=data)


def registry_proxies(run, api):
    """With --container-registry-certs and no --container-registry-proxies: the host names of
    the content proxies behind the balancer, by Katello's rule (smartproxies.behind_load_balancer),
    kept in run.registry_proxies for CONTAINER_CERTS; None when not asked for. A name that is no
    host name (the API's data, checked like an option) is left out."""
    options = run.options
    if not options.container_registry_certs or options.container_registry_proxies:
        return None
    names = []
    for proxy in api.all_results(SMART_PROXIES):
        name = host_of(str(proxy.get("url") or ""))
        if (behind_load_balancer(proxy, run.balancer) and name and is_hostname(name)
                and name.lower() not in (n.lower() for n in names)):
            names.append(name)
    run.registry_proxies = sorted(names)
    return run.registry_proxies


def existing_host(run, api):
    """The one host record named --fqdn (GET by id: the index leaves fields out)."""
    fqdn, login = run.options.fqdn, run.options.login
    search = search_text("name", fqdn)
    found = api.all_results(HOSTS, search)
    if not found:
        raise DataError("Foreman has no host with %s (searched as %s): --new-capsule moves an "
                        "existing host record" % (search, login), fix=ENROLL_INSTEAD)
    if len(found) > 1:
        raise DataError("Foreman has %d hosts with %s" % (len(found), search),
                        fix="remove the duplicate host records in Foreman")
    return api.request("GET", "%s/%s" % (HOSTS, found[0]["id"]))


def moved_host(run, api, current=None):
    """(the fields --new-capsule sets, notes naming the proxies chosen, warnings)."""
    options = run.options
    body, notes, warnings = {}, [], []
    if options.hostgroup:
        body["hostgroup_id"] = api.lookup("hostgroups", "title", options.hostgroup)["id"]
    if options.location:
        body["location_id"] = api.lookup("locations", "title", options.location)["id"]
    choices = {}

    def choice_for(server):
        if server not in choices:
            choices[server] = smart_proxies_for(api, server)
        return choices[server]

    wanted = [("content_source_id", None, choice_for(run.balancer))]
    if "puppet" not in options.skip:
        wanted += [(key, feature, choice_for(getattr(options, server)))
                   for key, feature, server in PUPPET_FEATURES]
    for choice in choices.values():
        if len(choice.proxies) > 1:
            notes.append("Smart Proxies for %s: %s; the lowest id (with the feature needed) is "
                         "used" % (choice.balancer, ", ".join(
                             "%s (id %s)" % (p.get("name"), p.get("id")) for p in choice.proxies)))
    for key, feature, choice in wanted:
        proxy = choice.first(feature)
        what = "the %s proxy" % feature if feature else "the content source"
        if proxy is None:
            warnings.append("no Smart Proxy%s for %s (searched %s): %s left as it is" % (
                " with the %s feature" % feature if feature else "", choice.balancer,
                choice.searched, what))
            continue
        if key == "content_source_id":
            body["content_facet_attributes"] = {"content_source_id": proxy["id"]}
        else:
            body[key] = proxy["id"]
        notes.append("%s: %s (id %s)" % (what, proxy.get("name"), proxy["id"]))
    _move_openscap_proxy(choice_for(run.balancer), current or {}, body, notes, warnings)
    return body, notes, warnings


def _move_openscap_proxy(choice, current, body, notes, warnings):
    """The OpenSCAP proxy moves, as bootstrap.py moves it, to the new server's proxy that lists
    the Openscap feature (listed, not assumed: Foreman refuses a proxy without it). Without such
    a proxy a host that had an OpenSCAP proxy is warned about; one that had none (no
    foreman_openscap, or OpenSCAP not used) gets a note, not a warning on every move."""
    key, feature = OPENSCAP_PROXY
    proxy = next((p for p in choice.proxies if lists_feature(p, feature)), None)
    if proxy is not None:
        body[key] = proxy["id"]
        notes.append("the OpenSCAP proxy: %s (id %s)" % (proxy.get("name"), proxy["id"]))
    elif current.get(key):
        warnings.append("no Smart Proxy with the %s feature for %s (searched %s): the OpenSCAP "
                        "proxy (id %s) left as it is" % (feature, choice.balancer,
                                                         choice.searched, current[key]))
    else:
        notes.append("no Smart Proxy with the %s feature for %s: no OpenSCAP proxy set"
                     % (feature, choice.balancer))


def lists_feature(proxy, feature):
    """Whether the proxy record lists feature (an absent list says nothing: no)."""
    features = proxy.get("features")
    return isinstance(features, list) and any(
        isinstance(item, dict) and item.get("name") == feature for item in features)


def previous_value(current, key):
    """What a PUT sends to restore key's value in the record current."""
    if key == "content_facet_attributes":
        return current_value(current, key)
    return current.get(key)


def api_call(run, method, path, body=None):
    """One request on a fresh client: the step's client is closed when the undo runs."""
    options = run.options
    with ForemanApi(run.balancer, run.consumer.server_ca_pem, options.timeout, run.tmpdir,
                    options.login, options.password) as api:
        api.ping()
        api.request(method, path, body=body)


def wanted_host(run, api, org):
    """bootstrap.py's host body and notes on what was left out (docs/katello-client-facts.md,
    "bootstrap.py behaviour")."""
    options = run.options
    notes = []
    body = {"name": options.fqdn_hostname, "organization_id": org["id"],
            "hostgroup_id": api.lookup("hostgroups", "title", options.hostgroup)["id"],
            "architecture_id": api.lookup("architectures", "name", platform.machine())["id"],
            "build": False, "compute_resource_id": None,
            "managed": "false" if options.unmanaged else "true"}
    ip = options.ip or local_ip(run.balancer)
    if ip:
        body["ip"] = ip
    location = None
    if options.location:
        location = api.lookup("locations", "title", options.location)
        body["location_id"] = location["id"]
    domain = domain_of(run, api, org, location, notes)
    if domain is not None:
        body["domain_id"] = domain["id"]
    if options.operatingsystem:
        body["operatingsystem_id"] = api.lookup("operatingsystems", "title",
                                                options.operatingsystem)["id"]
    if options.partitiontable:
        body["ptable_id"] = api.lookup("ptables", "name", options.partitiontable)["id"]
    if options.comment:
        body["comment"] = options.comment
    mac = local_mac()
    if mac:
        body["mac"] = mac
    if options.force_content_source:
        # bootstrap.py wants a proxy named like --server; behind a balancer the proxies keep
        # their own names, so the proxies registered through it count too.
        choice = smart_proxies_for(api, run.balancer)
        proxy = choice.first()
        if proxy is None:
            notes.append("no Smart Proxy for %s (searched %s): content source left as it is"
                         % (run.balancer, choice.searched))
        else:
            body["content_facet_attributes"] = {"content_source_id": proxy["id"]}
            notes.append("content source: %s (id %s)" % (proxy.get("name"), proxy["id"]))
    return body, notes


def domain_of(run, api, org, location, notes):
    options = run.options
    name = options.fqdn_domain
    if not name:
        return None
    domain = api.find("domains", "name", name)
    if domain is not None:
        return domain
    if not options.add_domain:
        raise DataError('Foreman has no domain with name="%s"' % name,
                        fix="create it in Foreman or add --add-domain")
    if run.ctx.dry_run:
        notes.append("would create domain %s" % name)
        return {"id": None}
    wanted = {"name": name, "organization_ids": [org["id"]]}
    if location is not None:
        wanted["location_ids"] = [location["id"]]
    created = api.request("POST", "/api/v2/domains", body={"domain": wanted})
    notes.append("created domain %s" % name)
    run.ctx.undo.push("delete domain %s created by this run" % name,
                      lambda: api_call(run, "DELETE", "/api/v2/domains/%s" % created["id"]))
    return created


def differences(current, body):
    """The fields of body whose value differs from the existing record."""
    changes = {}
    for key, value in body.items():
        if key in ("build", "compute_resource_id", "name", "mac"):
            continue  # set on creation only: a registered host's record owns them afterwards
        if current_value(current, key) != normalise(key, value):
            changes[key] = value
    return changes


def current_value(current, key):
    if key == "content_facet_attributes":
        facet = current.get("content_facet_attributes") or {}
        return {"content_source_id": facet.get("content_source_id",
                                               current.get("content_source_id"))}
    value = current.get(key)
    return normalise(key, value)


def normalise(key, value):
    if key == "managed":
        return str(value).lower() == "true"
    return value


def field_lines(body):
    return ["%s: %s" % (key, body[key]) for key in sorted(body)]


def local_ip(server):
    """The local address used to reach server, as bootstrap.py finds it (nothing is sent)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect((server, 80))
        return sock.getsockname()[0]
    except OSError:
        return None
    finally:
        sock.close()


def local_mac():
    """This host's MAC address, or None when Python could only make up a random one."""
    node = uuid.getnode()
    if node >> 40 & 1:  # the multicast bit marks uuid's random fallback
        return None
    return ":".join("%02x" % (node >> shift & 0xff) for shift in range(40, -8, -8))
