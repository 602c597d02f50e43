#!/usr/bin/env bash
# sofia_image through `aiw bench` against aiw-sim: the framework's own cost per stage (services
# answer at once) and 500 jobs in flight on one process with realistic service latency
# (YOLO 2 s, LLMs 5 s). Zero latency runs twice: 16 jobs in flight (each stage's own latency)
# and 500 (the same under load). Prints `aiw bench`'s table for each (jobs/s, CPU per job, peak threads
# and RSS from /proc, p50/p95/p99 per stage) and a summary line per run.
#   bench/pipelines/sofia_image.sh [build-dir]      (default: build)
# Env: JOBS_FAST (default 5000), JOBS_SLOW (default 2000), CONCURRENCY (default 500),
#      DATABASE_URL (default: a throwaway PostgreSQL started here and removed at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
jobs_fast="${JOBS_FAST:-5000}"
jobs_slow="${JOBS_SLOW:-2000}"
concurrency="${CONCURRENCY:-500}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${pg_dir:-}" ]; then $as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway PostgreSQL when none is given (as the `postgres` user when run as root).
if [ -z "${DATABASE_URL:-}" ]; then
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  as_pg=""; [ "$(id -u)" = 0 ] && as_pg="runuser -u postgres --"
  pg_dir="$work/pg"; mkdir -p "$pg_dir"; [ -n "$as_pg" ] && chown postgres "$work" "$pg_dir"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $as_pg "$pg_bin/initdb" -D "$pg_dir" -U postgres -A trust >/dev/null
  $as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
fi
# The queue's schema and the pipelines' own tables (pipelines/sql: meal_analyses), as deployed.
"$build/bin/aiw" migrate --quiet --pipelines "$root/pipelines"

"$build/bin/aiw-sim" --port 0 --threads 1 >"$work/sim.out" 2>"$work/sim.err" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
sim="$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/sim.out" | head -1)"

export OLLAMA_URL="$sim" YOLO_URL="$sim" GEMINI_URL="$sim" GEMINI_API_KEY=bench
export AIW_FETCH_HTTP_HOSTS=127.0.0.1 AIW_FETCH_ALLOW_NETWORKS=127.0.0.0/8
export AIW_PIPELINE_DIR="$root/pipelines" AIW_PLUGIN_PATH="$build/lib/aiw/plugins:${AIW_PLUGIN_PATH:-}"
export LOG_LEVEL=warn
user=6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b
input='{"userId":"'"$user"'","imageUrl":"'"$sim"'/images/lunch.jpg","mealType":"lunch"}'

run() {  # label jobs concurrency
  echo "== $1: $2 jobs, $3 at a time =="
  psql -q "$DATABASE_URL" -c "truncate meal_analyses" >/dev/null
  "$build/bin/aiw" bench "$root/pipelines/sofia_image.yaml" --jobs "$2" \
    --concurrency "$3" --input "$input" --user "$user" --stage-cpu | tee "$work/$1.txt"
  echo "rows written: $(psql -tA "$DATABASE_URL" -c 'select count(*) from meal_analyses')"
}

curl -s "$sim/_sim/config" -d '{"ollama":{"latency_ms":0},"gemini":{"latency_ms":0},"yolo":{"latency_ms":0}}' >/dev/null
# 16 in flight: each stage's own latency, without jobs queueing in the (one-thread) simulator;
# then 500 in flight: the same work under the issue's concurrency.
run zero-latency-16 "$jobs_fast" 16
run zero-latency "$jobs_fast" "$concurrency"
curl -s "$sim/_sim/config" -d '{"ollama":{"latency_ms":5000},"gemini":{"latency_ms":5000},"yolo":{"latency_ms":2000}}' >/dev/null
run realistic-latency "$jobs_slow" "$concurrency"
