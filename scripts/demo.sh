#!/bin/sh
# The README's demo command: installs what it needs (Debian packages), builds
# into build/, then runs the whole deferred-response flow (doc/architecture.md) on the
# embedded defaults (scripts/demo-flow.py): uicc-emu with
# uicc-emu/examples/card0.ini, ota-test-server (HTTP API + netsim link), the
# real ofonod with the stkbridge plugin on a private D-Bus bus in a private
# mount namespace, and stkbridge-agent answering "confirm".  It shows the
# agent's screen and the transaction's timeline, C1 to R1, and stops every
# process it started; the server's live timeline page is at the URL it prints
# while it runs.  --keep: everything stays up after the transaction (the page
# too) until Ctrl-C.  --installed: run the installed programs (the Debian
# packages: /usr/bin, oFono's plugin directory) instead of building.  Needs
# root (uses sudo otherwise).
set -eu
cd "$(dirname "$0")/.."
case " $* " in
*" --installed "*) ;;
*)
	scripts/install-deps.sh
	log=$(mktemp)
	scripts/build.sh >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
	rm -f "$log"
	;;
esac
if [ "$(id -u)" -eq 0 ]; then
	exec /usr/bin/python3 scripts/demo-flow.py build "$@"
fi
exec sudo /usr/bin/python3 scripts/demo-flow.py build "$@"
