#!/bin/sh
# Installs the Debian packages stkbridge needs to build and test (as root, or via sudo).
set -eu
PACKAGES="meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3
libglib2.0-dev libjson-glib-dev libssl-dev libsqlite3-dev libsoup-3.0-dev
postgresql libpq-dev libjemalloc-dev
pcscd vsmartcard-vpcd libpcsclite-dev
libqmi-glib-dev libmbim-glib-dev libqmi-utils
ofono ofono-dev dbus python3-dbus python3-gi util-linux
chromium chromium-driver python3-selenium fonts-dejavu-core
scdoc man-db groff-base systemd tmux
libsmpp34-dev nodejs"
# the test SMSC (tests/smsc) runs on node with npm; Debian's npm conflicts with a
# nodejs that bundles its own npm (NodeSource), so it is asked for only when missing
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
