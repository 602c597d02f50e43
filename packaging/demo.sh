#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run the main job, a demo of
# the whole flow on local defaults: one job of examples/demo.yaml in-process with its per-stage
# timings, then a local PostgreSQL, `aiw migrate`, an `aiw worker`, and jobs going through the
# queue: enqueued, claimed two at a time (the premium one first), run and completed.
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

echo
echo "== the queue: PostgreSQL + aiw migrate + aiw worker =="
pgdir="$(mktemp -d /tmp/aiw-demo-pg-XXXXXX)"
workdir="$(mktemp -d /tmp/aiw-demo-XXXXXX)"
cleanup() {
  [ -n "${worker_pid:-}" ] && kill -TERM "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null || true
  bash packaging/local-postgres.sh stop "$pgdir" || true
  rm -rf "$pgdir" "$workdir"
}
trap cleanup EXIT
export DATABASE_URL="$(bash packaging/local-postgres.sh start "$pgdir" 55432)"
./build/bin/aiw migrate
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
mkdir -p "$workdir/pipelines"
cp examples/queue_demo.yaml "$workdir/pipelines/"
PORT=3001 PIPELINES_DIR="$workdir/pipelines" WORKER_CONCURRENCY=2 LOG_LEVEL=warn \
  ./build/bin/aiw worker & worker_pid=$!
user=00000000-0000-4000-8000-000000000001
psql -c "insert into auth.users (id, email) values ('$user', 'demo@example.com') on conflict do nothing"
echo "enqueue 6 jobs (one premium, priority 1):"
psql -c "insert into analysis_jobs (user_id, type, input, priority)
         select '$user', 'demo_analysis', jsonb_build_object('imageUrl', 'https://example.com/meal-' || n || '.jpg'),
                case when n = 1 then 1 else 5 end
           from generate_series(1, 6) n"
sleep 2
echo "jobs after 2 s:"
psql -c "select left(id::text, 8) as job, status, priority, attempts, processing_time_ms as ms,
                result->>'text' as result from analysis_jobs order by started_at, priority"
echo "worker health and a few metrics (GET :3001/health, /metrics):"
curl -s localhost:3001/health; echo
curl -s localhost:3001/metrics | grep -E '^aiw_jobs_(claimed|completed)_total|^aiw_queue_wait_seconds_count'
