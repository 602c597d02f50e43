#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run the main job, a demo of
# the whole flow on local defaults (today: one job of examples/demo.yaml in-process, with the
# per-stage timings).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash packaging/install-deps.sh
bash packaging/build.sh build -DAIW_BUILD_TESTS=OFF -DAIW_BUILD_BENCH=OFF
echo
echo "== aiw plugins (stage types found) =="
./build/bin/aiw plugins | grep -E '^[a-z]' || true
echo
echo "== aiw validate examples/demo.yaml =="
./build/bin/aiw validate examples/demo.yaml
echo
echo "== aiw run examples/demo.yaml --timings =="
./build/bin/aiw run examples/demo.yaml --timings \
  --input '{"imageUrl":"https://example.com/lunch.jpg","language":"pt"}'
