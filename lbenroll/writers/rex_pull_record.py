"""rex-pull.json: what --rex-pull installed and enabled on this host, so that --remove takes back
exactly that and leaves what was there before lbenroll."""
import json

from lbenroll import fileio, host
from lbenroll.errors import DataError
from lbenroll.writers.base import Directory, Target, decode, encode

RECORD_TARGET = Target(host.REX_PULL_RECORD, 0o600, "root", "root",
                       "With --rex-pull: the packages lbenroll installed and the unit it enabled "
                       "for pull-mode remote execution, so that --remove takes back exactly those",
                       Directory(0o700, "root", "root"))


def load(ctx):
    """{"packages": [names], "enabled": [units]} of the record; both empty when there is none."""
    data = fileio.read_bytes(ctx, host.REX_PULL_RECORD)
    if data is None:
        return {"packages": [], "enabled": []}
    try:
        record = json.loads(decode(data))
        packages, enabled = record["packages"], record["enabled"]
        if not all(isinstance(value, list) and all(isinstance(item, str) for item in value)
                   for value in (packages, enabled)):
            raise ValueError("not a list of names")
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError("%s is not lbenroll's record of what --rex-pull set up (%s)" % (
            host.REX_PULL_RECORD, exc), fix="remove the packages and disable the unit by hand "
            "if lbenroll installed them, then delete %s" % host.REX_PULL_RECORD)
    return {"packages": list(packages), "enabled": list(enabled)}


def add(ctx, packages=(), enabled=()):
    """Record more packages installed and units enabled; undoable like any managed write."""
    record = load(ctx)
    record["packages"] += [name for name in packages if name not in record["packages"]]
    record["enabled"] += [unit for unit in enabled if unit not in record["enabled"]]
    save(ctx, record)


def save(ctx, record, undo=True):
    """Write the record; removed when it holds nothing."""
    if not record["packages"] and not record["enabled"]:
        fileio.restore_bytes(ctx, RECORD_TARGET, None)
        return
    data = encode(json.dumps(record, indent=1, sort_keys=True) + "\n")
    fileio.write_file(ctx, RECORD_TARGET, data, undo=undo, backup_first=False)
