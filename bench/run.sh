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
