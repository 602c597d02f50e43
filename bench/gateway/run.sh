#!/usr/bin/env bash
# The gateway benchmark (bench/README.md, "Gateway"): POST /v1/jobs at fixed rates against
# `aiw gateway` with a durable PostgreSQL on this same machine, GET /v1/jobs/{id} alongside,
# and pgbench's one-row INSERT in the same run for the ratio.
#   bench/gateway/run.sh [build-dir]
# Settings (environment): RATES ("100 1000 2500 5000": POST req/s, one step each), DURATION (60 s
# per step), WARMUP (5 s, not counted), GET_RATE (500 req/s during every step), USERS (1000),
# CONNECTIONS (1000: many clients, one request in flight on each), PGBENCH_SECONDS (30),
# GATEWAY_IO_THREADS (1), PG_PORT, GW_PORT, KEEP (set: keep the logs folder), and NICE
# (0): a negative value runs PostgreSQL, the gateway, the load generator and pgbench at that
# priority, to keep other work on a shared machine from taking their CPU (root only; it does
# nothing for the disk, which they share too).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
aiw="$build/bin/aiw"
loadgen="$build/bin/open_loop"
[ -x "$aiw" ] && [ -x "$loadgen" ] || { echo "build first: $aiw and $loadgen are missing" >&2; exit 2; }
RATES="${RATES:-100 1000 2500 5000}"
# PG_LOG_MIN_MS (unset): log statements slower than this many ms in the kept server.log
# SLOW_MS (0): > 0 prints, per second, how many POSTs took longer than this
# MIN_WAL_SIZE (1GB): PostgreSQL's min_wal_size (see below why)
DURATION="${DURATION:-60}"
WARMUP="${WARMUP:-5}"
GET_RATE="${GET_RATE:-500}"
USERS="${USERS:-1000}"
CONNECTIONS="${CONNECTIONS:-1000}"
PGBENCH_SECONDS="${PGBENCH_SECONDS:-30}"
IO_THREADS="${GATEWAY_IO_THREADS:-1}"
PG_PORT="${PG_PORT:-55490}"
GW_PORT="${GW_PORT:-3090}"
NICE="${NICE:-0}"
SECRET="gateway-bench-secret-at-least-32-bytes-long"
run() { nice -n "$NICE" "$@"; }

pgdir="$(mktemp -d /tmp/aiw-gbench-pg-XXXXXX)"
work="$(mktemp -d /tmp/aiw-gbench-XXXXXX)"
gw_pid=""
cleanup() {
  if [ -n "$gw_pid" ]; then kill -TERM "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
  bash "$root/packaging/local-postgres.sh" stop "$pgdir" || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$pgdir" "$work"
}
trap cleanup EXIT

# Default durability: fsync on, synchronous_commit on, full_page_writes on (local-postgres.sh
# changes none of them).
export DATABASE_URL="$(run bash "$root/packaging/local-postgres.sh" start "$pgdir" "$PG_PORT")"
"$aiw" migrate >/dev/null
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
# WAL segments: a backend that fills the last one creates the next itself, writing 16 MB of
# zeros and syncing them (IO:WALInitSync), 25-60 ms during which every commit waits: at 1,000
# jobs/s that was each ~10 s, the slowest 0.5 % of answers. A server under steady load reuses
# the segments its checkpoints recycle instead, keeping up to min_wal_size of them; 1 GB keeps
# enough for a minute at 5,000 jobs/s (operations.md "PostgreSQL settings"). The pgbench runs
# below write the segments once; the checkpoint before each step recycles them.
psql -c "alter system set min_wal_size = '${MIN_WAL_SIZE:-1GB}'" -c "select pg_reload_conf()" >/dev/null
if [ -n "${PG_LOG_MIN_MS:-}" ]; then  # diagnosis: log slower statements (with KEEP=1 to read them)
  psql -c "alter system set log_min_duration_statement = $PG_LOG_MIN_MS" -c "select pg_reload_conf()" >/dev/null
fi
# Users (auth.users rows: jobs reference them), and a plain table for pgbench.
psql -At -c "insert into auth.users (id) select gen_random_uuid() from generate_series(1, $USERS) returning id" \
  | grep -E '^[0-9a-f-]{36}$' >"$work/users.txt"
psql -c "create table bench_plain (id bigserial primary key, v text not null, created_at timestamptz not null default now())"
echo "insert into bench_plain (v) values ('x');" >"$work/insert.sql"
# A registered worker for the type that claims nothing: the gateway answers 202 (the queue path)
# only when a live worker serves the type, and a real worker draining 5,000 jobs/s would share
# the two cores with what is measured here (enqueue). Its lease outlasts the run.
psql -c "insert into aiw_workers (id, host, pid, types, concurrency, lease_ms, version)
         values ('bench/registered-only', 'bench', 0, '{noop}', 0, 86400000, 'bench')"

# The per-IP rate limit is a product rule and all load comes from one address here, so it is set
# out of reach (its check still runs). The per-user active-job limit is off (0): with no worker
# draining, every user would reach 10 pending jobs within seconds and the rest would be 429s.
PORT="$GW_PORT" SUPABASE_JWT_SECRET="$SECRET" GATEWAY_ASYNC_DEFAULT=true GATEWAY_IO_THREADS="$IO_THREADS" \
  RATE_LIMIT_PER_MINUTE=1000000000 MAX_ACTIVE_JOBS_PER_USER=0 LOG_LEVEL=warn \
  nice -n "$NICE" "$aiw" gateway --pipelines "$root/bench/gateway/pipelines" >"$work/gateway.log" 2>&1 &
gw_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$GW_PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 2  # the monitor's first refresh: flags and the live worker

postmaster="$(head -1 "$pgdir/data/postmaster.pid")"
# CPU ticks (user + system, with waited-for children) of the given processes.
# (The command name in /proc/PID/stat is "postgres" or "aiw": no blanks to shift the fields.)
pid_stats() {
  local files=()
  for p in "$@"; do files+=("/proc/$p/stat"); done
  cat "${files[@]}" 2>/dev/null | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'
}
pg_cpu() { pid_stats "$postmaster" $(pgrep -P "$postmaster"); }
gw_cpu() { pid_stats "$gw_pid"; }
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }  # the machine, all cores
hz="$(getconf CLK_TCK)"

pgbench_tps() {  # clients
  local c="$1" j=$(( $1 < 2 ? 1 : 2 ))
  run pgbench -n -c "$c" -j "$j" -T "$PGBENCH_SECONDS" -f "$work/insert.sql" "$DATABASE_URL" 2>/dev/null \
    | awk '/^tps = .*without initial/ { printf "%d", $3 }'
}

echo "== $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), nice $NICE"
echo "== pgbench: one-row INSERT per transaction, ${PGBENCH_SECONDS} s each"
declare -A pgb
for c in 1 4 16; do
  pgb[$c]="$(pgbench_tps "$c")"
  echo "pgbench -c $c: ${pgb[$c]} tps"
done

echo "== gateway: POST /v1/jobs at fixed rates (open loop, ${DURATION} s + ${WARMUP} s warm-up), GET ${GET_RATE}/s alongside"
echo "   io_threads $IO_THREADS, $USERS users, $CONNECTIONS connections"
for rate in $RATES; do
  psql -c "truncate analysis_jobs" 2>/dev/null
  psql -c "checkpoint"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  g0="$(gw_cpu)"; p0="$(pg_cpu)"; b0="$(busy)"
  run "$loadgen" --port "$GW_PORT" --secret "$SECRET" --users "$work/users.txt" --rate "$rate" \
    --get-rate "$GET_RATE" --duration "$DURATION" --warmup "$WARMUP" --connections "$CONNECTIONS" --slow-ms "${SLOW_MS:-0}" \
    >"$work/step.txt"
  g1="$(gw_cpu)"; p1="$(pg_cpu)"; b1="$(busy)"
  cat "$work/step.txt"
  # The gateway's own view (request read -> response queued, cumulative over the steps so far):
  # the share of POSTs it answered within 5 and 10 ms. Slower answers than this inside the
  # gateway point at the gateway or PostgreSQL; slower only at the client, at the machine.
  curl -sf "http://127.0.0.1:$GW_PORT/metrics" | awk '
    /^aiw_gateway_request_duration_seconds_bucket\{.*route="POST \/v1\/jobs"/ {
      le = $0; sub(/.*le="/, "", le); sub(/".*/, "", le)
      if (le == "+Inf") all = $NF; else if (le + 0 < 0.0051) in5 = $NF; else if (le + 0 < 0.0101) in10 = $NF }
    END { if (all > 0) printf "   gateway-side POST latency: %.2f%% within 5 ms, %.2f%% within 10 ms (all steps so far)\n",
            100 * in5 / all, 100 * in10 / all }'
  secs=$(( DURATION + WARMUP ))
  awk -v g=$((g1 - g0)) -v p=$((p1 - p0)) -v b=$((b1 - b0)) -v hz="$hz" -v s="$secs" -v l="$load" \
    'BEGIN { printf "   cpu (cores busy over the step): gateway %.2f, postgres %.2f, whole machine %.2f of 2; load average before %s\n",
             g / hz / s, p / hz / s, b / hz / s, l }'
done

echo "== pgbench -c 16 again, after the gateway steps"
pgb16b="$(pgbench_tps 16)"
echo "pgbench -c 16: $pgb16b tps"

# SSE (GET /v1/jobs/{id}/events) is measured when the route exists in this build.
id="$(psql -At -c "select id from analysis_jobs limit 1")"
code="$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$GW_PORT/v1/jobs/$id/events" || true)"
echo "== GET /v1/jobs/{id}/events without a token answers $code (404: the route is not in this build; SSE not measured)"
