#!/bin/bash
# Install an lbenroll RPM into a scratch root and run the installed lbenroll from that root with
# PYTHON, whose own site-packages hold the libraries to run against (EL8's floor versions in CI).
# Usage: check-install.sh RPM ROOT PYTHON
set -euo pipefail
rpm_file=$1 root=$2 python=$3

fail() {
    echo "check-install: $*" >&2
    exit 1
}

rm -rf "$root"
mkdir -p "$root"
# Scriptlets run chrooted into the empty root, where there is no /bin/sh: rpm warns that they
# failed and installs the files anyway, which is all this check needs.
rpm --root "$root" --dbpath /var/lib/rpm -i --nodeps "$rpm_file"
sitelib=$("$python" -c "import sysconfig; print(sysconfig.get_path('purelib', vars={'base': '/usr'}))")
# From /, so that nothing but the scratch root can provide the lbenroll package.
in_root() {
    (cd / && PYTHONPATH="$root$sitelib" "$python" "$@")
}

module=$(in_root -c "import lbenroll; print(lbenroll.__file__)")
[[ $module == "$root"/* ]] || fail "lbenroll was imported from $module, not from $root"
version=$(in_root "$root/usr/bin/lbenroll" --version)
expected="lbenroll $(rpm -qp --qf '%{VERSION}' "$rpm_file")"
[[ $version == "$expected" ]] || fail "lbenroll --version printed '$version', not '$expected'"
in_root "$root/usr/bin/lbenroll" --help > "$root.help"
# The man page points at the kickstart snippets; they must be where it says.
kickstart=$root$(in_root -c "from lbenroll import docs; print(docs.KICKSTART_DIR)")
compgen -G "$kickstart/*.ks" > /dev/null || fail "no kickstart snippets in $kickstart"
echo "check-install: $version runs from $root on $("$python" --version 2>&1);" \
     "--help printed $(wc -l < "$root.help") lines"
