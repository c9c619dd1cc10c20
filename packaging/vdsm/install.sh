#!/bin/sh
# Install the files of one package listed in packaging/vdsm/MANIFEST under DESTDIR.
#   packaging/vdsm/install.sh [--package NAME] [DESTDIR]
# NAME defaults to ovirt-provider-ovn-driver; DESTDIR to / (a package build passes its
# buildroot). SITELIB overrides the purelib directory used for @SITELIB@ (default: that
# of $PYTHON, else python3: the interpreter vdsm runs on). MAINCONF overrides @MAINCONF@
# (default /etc/ovirt-provider-ovn).
set -eu
package=ovirt-provider-ovn-driver
if [ "${1:-}" = "--package" ]; then
    package=$2
    shift 2
fi
destdir=${1:-/}
top=$(cd "$(dirname "$0")/../.." && pwd)
sitelib=${SITELIB:-$("${PYTHON:-python3}" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')}
mainconf=${MAINCONF:-/etc/ovirt-provider-ovn}
found=0
while read -r pkg mode src dest; do
    case "$pkg" in ''|'#'*) continue ;; esac
    [ "$pkg" = "$package" ] || continue
    dest=$(printf '%s' "$dest" | sed -e "s|@SITELIB@|$sitelib|" -e "s|@MAINCONF@|$mainconf|")
    install -D -m "$mode" "$top/$src" "$destdir$dest"
    found=$((found + 1))
done < "$top/packaging/vdsm/MANIFEST"
if [ "$found" -eq 0 ]; then
    echo "install.sh: no files for package $package" >&2
    exit 1
fi
echo "installed $found files of $package under $destdir"
