#!/usr/bin/env bash
# aiw's queue and graphile-worker side by side, in one run on one PostgreSQL (default
# durability) that queue_bench starts. Builds nothing: build first with packaging/build.sh.
#   bench/queue/run.sh [build-dir] [queue_bench options...]
#   e.g. bench/queue/run.sh build --jobs 100000 --rounds 2
# Prints a markdown table: jobs/s of each, the ratio aiw/graphile, pickup p50/p95/p99 of each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
[[ $# -gt 0 ]] && shift
bench="$build/bin/queue_bench"
if [[ ! -x "$bench" ]]; then
  echo "run.sh: $bench not found; build first: packaging/build.sh $build" >&2
  exit 1
fi

# graphile-worker from npm, pinned by package.json and package-lock.json; installed once.
graphile="$here/graphile"
wanted="$(node -p "require('$graphile/package.json').dependencies['graphile-worker']")"
have="$(node -p "try { require('$graphile/node_modules/graphile-worker/package.json').version } catch { '' }" 2>/dev/null || true)"
if [[ "$have" != "$wanted" ]]; then
  if ! command -v npm >/dev/null; then
    apt-get update -qq && apt-get install -y -qq npm >/dev/null
  fi
  (cd "$graphile" && npm ci --no-audit --no-fund --loglevel=error)
fi

exec "$bench" --graphile "$graphile" "$@"
