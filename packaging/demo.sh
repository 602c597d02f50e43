#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run the main job, a demo of
# the whole flow on local defaults: one job of examples/demo.yaml in-process with its per-stage
# timings, then a local PostgreSQL, `aiw migrate`, an `aiw worker` and an `aiw gateway`, and jobs
# submitted over HTTP (202 + id), followed with Server-Sent Events, read back, with metrics.
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
echo "== the whole flow: PostgreSQL + aiw migrate + aiw worker + aiw gateway, jobs over HTTP =="
pgdir="$(mktemp -d /tmp/aiw-demo-pg-XXXXXX)"
workdir="$(mktemp -d /tmp/aiw-demo-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash packaging/local-postgres.sh stop "$pgdir" || true
  rm -rf "$pgdir" "$workdir"
}
trap cleanup EXIT
export DATABASE_URL="$(bash packaging/local-postgres.sh start "$pgdir" 55432)"
export SUPABASE_JWT_SECRET="demo-secret-demo-secret-demo-secret-demo"
./build/bin/aiw migrate
mkdir -p "$workdir/pipelines"
cp examples/queue_demo.yaml "$workdir/pipelines/"
export PIPELINES_DIR="$workdir/pipelines" LOG_LEVEL=warn
PORT=3001 WORKER_CONCURRENCY=2 ./build/bin/aiw worker & pids+=($!)
PORT=3000 GATEWAY_ASYNC_DEFAULT=true ./build/bin/aiw gateway & pids+=($!)
user=00000000-0000-4000-8000-000000000001
psql -X -q "$DATABASE_URL" -c "insert into auth.users (id, email) values ('$user', 'demo@example.com') on conflict do nothing"
token="$(./build/bin/aiw token --sub "$user")"
premium="$(./build/bin/aiw token --sub "$user" --premium)"
for i in $(seq 1 30); do curl -sf localhost:3000/health >/dev/null && curl -sf localhost:3001/health >/dev/null && break; sleep 0.2; done
sleep 1.5  # the gateway sees the worker's first heartbeat
echo "POST /v1/jobs (5 jobs, the last one premium):"
ids=()
for n in 1 2 3 4; do
  body="{\"type\":\"demo_analysis\",\"input\":{\"imageUrl\":\"https://example.com/meal-$n.jpg\"}}"
  reply="$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" localhost:3000/v1/jobs)"
  echo "  $reply"; ids+=("$(echo "$reply" | sed -E 's/.*"id":"([^"]+)".*/\1/')")
done
reply="$(curl -s -H "Authorization: Bearer $premium" -H 'Content-Type: application/json' \
  -d '{"type":"demo_analysis","input":{"imageUrl":"https://example.com/premium.jpg"}}' localhost:3000/v1/jobs)"
echo "  $reply"; ids+=("$(echo "$reply" | sed -E 's/.*"id":"([^"]+)".*/\1/')")
echo "GET /v1/jobs/${ids[0]}/events (Server-Sent Events until the job ends):"
curl -sN -H "Authorization: Bearer $token" "localhost:3000/v1/jobs/${ids[0]}/events" | sed 's/^/  /' | cut -c1-160
sleep 1
echo "GET /v1/jobs/${ids[4]}:"
curl -s -H "Authorization: Bearer $token" "localhost:3000/v1/jobs/${ids[4]}" | cut -c1-400; echo
echo "the rows (premium first, two at a time):"
psql -X "$DATABASE_URL" -c "select left(id::text, 8) as job, status, priority, attempts, processing_time_ms as ms,
         run_by, result->>'text' as result from analysis_jobs order by started_at, priority"
echo "gateway metrics (GET :3000/metrics):"
curl -s localhost:3000/metrics | grep -E '^aiw_gateway_request_duration_seconds_count|^aiw_live_workers '
echo "worker metrics (GET :3001/metrics):"
curl -s localhost:3001/metrics | grep -E '^aiw_jobs_(claimed|completed)_total'
