#!/usr/bin/env bash
# The README's second command (and CI's): install what is needed, build with -Werror, run every
# test; then the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
# Set AIW_SKIP_SANITIZE=1 to run the first pass only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash packaging/install-deps.sh
jobs="$(nproc)"

echo "== build and test (-Wall -Wextra -Werror) =="
# Tests and benchmarks on explicitly: demo.sh builds the same folder without them, and CMake
# would otherwise keep its cached OFF (ctest would then find nothing to run).
bash packaging/build.sh build -DAIW_BUILD_TESTS=ON -DAIW_BUILD_BENCH=ON
(cd build && ctest --output-on-failure --no-tests=error -j "$jobs" --timeout 300)

if [ "${AIW_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== build and test with AddressSanitizer + UndefinedBehaviorSanitizer =="
  bash packaging/build.sh build-asan -DAIW_SANITIZE=ON -DAIW_BUILD_TESTS=ON -DAIW_BUILD_BENCH=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$root/packaging/lsan.supp" \
     UBSAN_OPTIONS="print_stacktrace=1:suppressions=$root/packaging/ubsan.supp" \
     ctest --output-on-failure --no-tests=error -j "$jobs" --timeout 600)
fi
