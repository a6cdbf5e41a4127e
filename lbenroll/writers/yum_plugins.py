"""The product-id and subscription-manager plugin configs of dnf (or yum): `[main] enabled=1`."""
from lbenroll.ini import IniDocument
from lbenroll.writers.base import Target, Writer

DNF_PLUGIN_DIR = "/etc/dnf/plugins"
YUM_PLUGIN_DIR = "/etc/yum/pluginconf.d"
WHY = "enabled so dnf/yum report installed products and use the entitlement certificates"


class PluginConfWriter(Writer):
    """Sets `enabled = 1` in [main]; a missing file or section is created.

    bootstrap.py raised NoSectionError (a traceback) for a missing file or [main] section.
    """

    def render(self, current_text):
        doc = IniDocument(current_text or "")
        if not doc.set("main", "enabled", "1"):
            return current_text, []
        what = "created" if current_text is None else "set [main] enabled = 1"
        return doc.text(), ["%s: %s" % (self.target.path, what)]


def _target(plugin_dir, plugin):
    return Target("%s/%s.conf" % (plugin_dir, plugin), 0o644, "root", "root",
                  "%s plugin config: %s" % (plugin, WHY))


class DnfProductIdConf(PluginConfWriter):
    id, target = "YUM_PLUGINS", _target(DNF_PLUGIN_DIR, "product-id")


class DnfSubscriptionManagerConf(PluginConfWriter):
    id, target = "YUM_PLUGINS", _target(DNF_PLUGIN_DIR, "subscription-manager")


class YumProductIdConf(PluginConfWriter):
    id, target = "YUM_PLUGINS", _target(YUM_PLUGIN_DIR, "product-id")


class YumSubscriptionManagerConf(PluginConfWriter):
    id, target = "YUM_PLUGINS", _target(YUM_PLUGIN_DIR, "subscription-manager")


# Which files a host's package manager reads (packages.PackageManager.name).
WRITERS = {"dnf": (DnfProductIdConf, DnfSubscriptionManagerConf),
           "yum": (YumProductIdConf, YumSubscriptionManagerConf)}
