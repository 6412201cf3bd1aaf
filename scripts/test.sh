#!/bin/sh
# The README's test command: installs what it needs, builds into build/, runs every test.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
meson test -C build --num-processes "$(nproc)" --print-errorlogs "$@"
