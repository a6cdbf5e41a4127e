#!/bin/bash
# Install an lbenroll RPM into a scratch root and run the installed lbenroll from that root with
# PYTHON, whose own site-packages hold the libraries to run against (in CI the floor of the
# package's EL: its Python and its library versions). The package must require PYTHON's
# python(abi) and ship its modules byte-compiled for PYTHON.
# Usage: check-install.sh RPM ROOT PYTHON
set -euo pipefail
rpm_file=$1 root=$2 python=$3

fail() {
    echo "check-install: $*" >&2
    exit 1
}

rm -rf "$root"
mkdir -p "$root"
# Files only: the scriptlets would run chrooted into the empty root, which has no /bin/sh to run
# them with (rpm would report them failed), and all they do is have systemctl preset, disable or
# reload the repair units. This checks that they are valid shell instead.
options=(--nodeps --noscripts)
# Debian's rpm warns that packages are for alien to convert unless told this is on purpose.
# (Not `rpm --help | grep -q`: grep's early exit fails that pipeline under pipefail.)
if [[ $(rpm --help 2>/dev/null) == *--force-debian* ]]; then
    options+=(--force-debian)
fi
rpm --root "$root" --dbpath /var/lib/rpm -i "${options[@]}" "$rpm_file"
scriptlets=0
for tag in PREIN POSTIN PREUN POSTUN PRETRANS POSTTRANS; do
    program=$(rpm -qp --qf "%{${tag}PROG}" "$rpm_file")
    [[ $program == /bin/sh || $program == /bin/bash ]] || continue
    "$program" -n <<< "$(rpm -qp --qf "%{$tag}" "$rpm_file")" ||
        fail "the $tag scriptlet is not valid $program syntax"
    scriptlets=$((scriptlets + 1))
done
sitelib=$("$python" -c "import sysconfig; print(sysconfig.get_path('purelib', vars={'base': '/usr'}))")
abi=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
rpm -qp --requires "$rpm_file" | grep -qx "python(abi) = $abi" ||
    fail "$rpm_file does not require python(abi) = $abi: $(rpm -qp --requires "$rpm_file" | grep abi)"
# Looked for before anything runs: importing would write missing ones into the scratch root.
cache_tag=$("$python" -c 'import sys; print(sys.implementation.cache_tag)')
[[ -f $root$sitelib/lbenroll/__pycache__/cli.$cache_tag.pyc ]] ||
    fail "no $cache_tag byte-compiled files in $root$sitelib/lbenroll/__pycache__"
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
# The man page points at the kickstart snippets; they must be where it says. tools/docs.py, which
# writes the man page, is not installed: it is read from this source tree, against the installed
# lbenroll (run_path adds nothing to sys.path).
docs_tool=$(cd "$(dirname "$0")/../.." && pwd)/tools/docs.py
kickstart=$root$(in_root -c "import runpy, sys; print(runpy.run_path(sys.argv[1])['KICKSTART_DIR'])" \
    "$docs_tool")
compgen -G "$kickstart/*.ks" > /dev/null || fail "no kickstart snippets in $kickstart"
echo "check-install: $version runs from $root on $("$python" --version 2>&1) (python(abi) = $abi);" \
     "--help printed $(wc -l < "$root.help") lines; $scriptlets scriptlets are valid shell" \
     "(not run)"
