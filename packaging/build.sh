#!/usr/bin/env bash
# Configures and builds one build tree. Used by demo.sh and test.sh.
#   packaging/build.sh <build-dir> [extra cmake args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1"; shift
jobs="$(nproc)"
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAIW_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$jobs"
