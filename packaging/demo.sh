#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run the main job, a demo of
# the whole flow on local defaults: one job of examples/demo.yaml in-process with its per-stage
# timings, then the AI service simulator (aiw-sim), a local PostgreSQL, `aiw migrate`, an
# `aiw worker` and an `aiw gateway` running the production pipeline sofia_image: meal photos
# submitted over HTTP (202 + id), followed with Server-Sent Events, read back, the rows the
# pipeline saved, and metrics.
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
echo "== the whole flow: aiw-sim + PostgreSQL + aiw migrate + aiw worker + aiw gateway, jobs over HTTP =="
# The AI services cannot run here: aiw-sim plays Ollama, Gemini, YOLO and an image host on one
# loopback port, with the real wire formats and a realistic pause (YOLO 0.3 s, LLMs 0.8 s), so
# the production pipeline sofia_image (fetch -> YOLO -> LLM -> parse -> nutrition -> save) runs
# unchanged; in production the same variables point at the real services.
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
./build/bin/aiw-sim --port 0 --threads 1 --yolo-latency-ms 300 --ollama-latency-ms 800 \
  --gemini-latency-ms 800 >"$workdir/sim.out" 2>"$workdir/sim.err" & pids+=($!)
for i in $(seq 1 50); do grep -q listening "$workdir/sim.out" 2>/dev/null && break; sleep 0.1; done
sim="$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$workdir/sim.out" | head -1)"
echo "aiw-sim at $sim"
export OLLAMA_URL="$sim" YOLO_URL="$sim" GEMINI_URL="$sim" GEMINI_API_KEY=demo-key
# The demo's opt-in to fetching images from loopback over http (production: https, public only).
export AIW_FETCH_HTTP_HOSTS=127.0.0.1 AIW_FETCH_ALLOW_NETWORKS=127.0.0.0/8
export WEBHOOK_SECRET=demo-webhook-secret WHATSAPP_REPLY_URL="$sim/unused-reply-hook"
export DATABASE_URL="$(bash packaging/local-postgres.sh start "$pgdir" 55432)"
export SUPABASE_JWT_SECRET="demo-secret-demo-secret-demo-secret-demo"
export PIPELINES_DIR="$root/pipelines" LOG_LEVEL=warn
./build/bin/aiw migrate   # the queue's schema, then pipelines/sql (meal_analyses, ...)
PORT=3001 WORKER_CONCURRENCY=2 ./build/bin/aiw worker & pids+=($!)
PORT=3000 GATEWAY_ASYNC_DEFAULT=true ./build/bin/aiw gateway & pids+=($!)
user=00000000-0000-4000-8000-000000000001
psql -X -q "$DATABASE_URL" -c "insert into auth.users (id, email) values ('$user', 'demo@example.com') on conflict do nothing"
token="$(./build/bin/aiw token --sub "$user")"
premium="$(./build/bin/aiw token --sub "$user" --premium)"
for i in $(seq 1 50); do curl -sf localhost:3000/health >/dev/null && curl -sf localhost:3001/health >/dev/null && break; sleep 0.2; done
sleep 1.5  # the gateway sees the worker's first heartbeat
echo "POST /v1/jobs: 4 meal photos, then a premium user's (it runs before the waiting ones):"
ids=()
submit() {  # token photo
  local body="{\"type\":\"sofia_image\",\"input\":{\"userId\":\"$user\",\"imageUrl\":\"$sim/images/$2.jpg\",\"mealType\":\"lunch\"}}"
  local reply
  reply="$(curl -s -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$body" localhost:3000/v1/jobs)"
  echo "  $reply"; ids+=("$(echo "$reply" | sed -E 's/.*"id":"([^"]+)".*/\1/')")
}
for photo in lunch dinner breakfast snack; do submit "$token" "$photo"; done
submit "$premium" premium-lunch
echo "GET /v1/jobs/${ids[0]}/events (Server-Sent Events until the job ends):"
curl -sN -H "Authorization: Bearer $token" "localhost:3000/v1/jobs/${ids[0]}/events" | sed 's/^/  /' | cut -c1-160
for i in $(seq 1 100); do
  left="$(psql -X -tA "$DATABASE_URL" -c "select count(*) from analysis_jobs where status in ('pending','processing')")"
  [ "$left" = 0 ] && break; sleep 0.2
done
echo "GET /v1/jobs/${ids[4]} (the premium job's result: foods, TACO totals, detections):"
curl -s -H "Authorization: Bearer $token" "localhost:3000/v1/jobs/${ids[4]}" | cut -c1-600; echo
echo "the jobs (premium first among those that waited, two at a time):"
psql -X "$DATABASE_URL" -c "select left(id::text, 8) as job, status, priority, attempts, processing_time_ms as ms,
         run_by, result->'totals'->>'kcal' as kcal from analysis_jobs order by started_at, priority"
echo "what the save stage wrote (meal_analyses, under the job's owner):"
psql -X "$DATABASE_URL" -c "select left(job_id::text, 8) as job, user_id, meal_type, kcal, provider,
         jsonb_array_length(foods) as foods from meal_analyses order by created_at"
echo "gateway metrics (GET :3000/metrics):"
curl -s localhost:3000/metrics | grep -E '^aiw_gateway_request_duration_seconds_count|^aiw_live_workers '
echo "worker metrics (GET :3001/metrics):"
curl -s localhost:3001/metrics | grep -E '^aiw_jobs_(claimed|completed)_total|^aiw_stage_succeeded_total'
