#!/bin/sh
# Configures (once) and builds stkbridge into build/.
set -eu
cd "$(dirname "$0")/.."
# warnings are errors in CI (CI=true)
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized ${CI:+-Dwerror=true}
ninja -C build -j"$(nproc)"
