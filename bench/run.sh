#!/bin/sh
# Runs every benchmark once (speed targets live here, never in tests).
# Builds into build/ first; pass --check to exit 1 when a target is missed.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
for b in build/bench/bench-*; do
	[ -x "$b" ] && [ -f "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" "$@"
done
# C1 submitted -> R1 delivered through the real ofonod (Python; needs root, skipped otherwise)
echo "== bench-e2e"
/usr/bin/python3 bench/bench-e2e.py --build build "$@"
# APDU round trips/s and e2e latency: pcsc (real pcscd + vpcd) against the emu backend (needs root)
echo "== bench-pcsc"
/usr/bin/python3 bench/bench-pcsc.py --build build "$@"
