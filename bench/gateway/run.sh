#!/usr/bin/env bash
# The gateway benchmark (bench/README.md, "Gateway"): POST /v1/jobs at fixed rates against
# `aiw gateway` with a durable PostgreSQL on this same machine, GET /v1/jobs/{id} alongside,
# and pgbench's one-row INSERT in the same run for the ratio; then SSE_STREAMS open event streams
# (GET /v1/jobs/{id}/events) receiving events while POSTs are served (bench/gateway/sse_streams).
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
ssegen="$build/bin/sse_streams"
[ -x "$aiw" ] && [ -x "$loadgen" ] && [ -x "$ssegen" ] || { echo "build first: $aiw, $loadgen or $ssegen is missing" >&2; exit 2; }
RATES="${RATES:-100 1000 2500 5000}"
# PG_LOG_MIN_MS (unset): log statements slower than this many ms in the kept server.log
# SLOW_MS (0): > 0 prints, per second, how many POSTs took longer than this
# MIN_WAL_SIZE (1GB): PostgreSQL's min_wal_size (see below why)
# ACTIVE_LIMIT (0): the gateway's MAX_ACTIVE_JOBS_PER_USER; production runs with 10. With no worker
# draining, keep USERS * 10 above the jobs a run sends (e.g. USERS=100000 for 3,000/s for 30 s)
# SETUP_SQL (unset): SQL run once after migrating, e.g. an older trigger for a schema A/B test
# SSE_STREAMS (1000; 0 skips the step): event streams held open in the SSE step; SSE_POST_RATE (1000) and
# SSE_POST_SECONDS (15): the POST load alongside them; SSE_GAP_MS (700): between the statements
# that drive the events (15 statements for 1,000 streams)
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
SSE_STREAMS="${SSE_STREAMS:-1000}"
SSE_POST_RATE="${SSE_POST_RATE:-1000}"
SSE_POST_SECONDS="${SSE_POST_SECONDS:-15}"
SSE_GAP_MS="${SSE_GAP_MS:-700}"
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
if [ -n "${SETUP_SQL:-}" ]; then psql -c "$SETUP_SQL" >/dev/null; fi
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
# out of reach (its check still runs). The per-user active-job limit is off (ACTIVE_LIMIT=0) by
# default: with no worker draining, each of 1,000 users would reach 10 pending jobs within
# seconds and the rest would be 429s.
PORT="$GW_PORT" SUPABASE_JWT_SECRET="$SECRET" GATEWAY_ASYNC_DEFAULT=true GATEWAY_IO_THREADS="$IO_THREADS" \
  RATE_LIMIT_PER_MINUTE=1000000000 MAX_ACTIVE_JOBS_PER_USER="${ACTIVE_LIMIT:-0}" LOG_LEVEL=warn \
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

# SSE (GET /v1/jobs/{id}/events): SSE_STREAMS streams held open by sse_streams, each receiving
# three events (processing, progress, result) that sse_streams drives with SQL as a worker's
# statements would (see there), while open_loop sends POSTs at SSE_POST_RATE and GETs at
# GET_RATE: 1,000 open streams must not starve other requests (issue 4). Compare its POST line
# with the plain step at the same rate above.
if [ "$SSE_STREAMS" = 0 ]; then
  echo "== SSE step skipped (SSE_STREAMS=0)"
  exit 0
fi
echo "== SSE: $SSE_STREAMS streams of GET /v1/jobs/{id}/events receiving events, POST ${SSE_POST_RATE}/s + GET ${GET_RATE}/s alongside for ${SSE_POST_SECONDS} s"
psql -c "truncate analysis_jobs" 2>/dev/null
psql -c "checkpoint"
gw_status() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$gw_pid/status"; }  # VmRSS, VmHWM (kB), Threads
load="$(cut -d' ' -f1 /proc/loadavg)"
rss0="$(gw_status VmRSS)"; threads0="$(gw_status Threads)"
rm -f "$work/sse.ready"
g0="$(gw_cpu)"; t0="$(date +%s.%N)"
# The driver starts 3 s after the streams are open (open_loop's 2 s warm-up done) and spreads
# its 3 x SSE_STREAMS/200 statements SSE_GAP_MS apart, inside the POST load.
run "$ssegen" --port "$GW_PORT" --secret "$SECRET" --users "$work/users.txt" --database-url "$DATABASE_URL" \
  --streams "$SSE_STREAMS" --batch 200 --gap-ms "$SSE_GAP_MS" --start-after 3 --ready-file "$work/sse.ready" \
  >"$work/sse.txt" 2>"$work/sse.err" &
sse_pid=$!
while [ ! -e "$work/sse.ready" ] && kill -0 "$sse_pid" 2>/dev/null; do sleep 0.05; done
g_open="$(gw_cpu)"; t_open="$(date +%s.%N)"
rss_open="$(gw_status VmRSS)"; threads_open="$(gw_status Threads)"
# The gateway's resident memory every 0.2 s while the streams are open (its peak is the step's).
( while kill -0 "$sse_pid" 2>/dev/null; do gw_status VmRSS; sleep 0.2; done ) >"$work/sse_rss.txt" &
sampler=$!
sse_post_rc=0
run "$loadgen" --port "$GW_PORT" --secret "$SECRET" --users "$work/users.txt" --rate "$SSE_POST_RATE" \
  --get-rate "$GET_RATE" --duration "$SSE_POST_SECONDS" --warmup 2 --connections "$CONNECTIONS" \
  >"$work/sse_post.txt" || sse_post_rc=$?
sse_rc=0
wait "$sse_pid" || sse_rc=$?
wait "$sampler" || true
g1="$(gw_cpu)"; t1="$(date +%s.%N)"
cat "$work/sse.txt" "$work/sse.err" "$work/sse_post.txt"
rss_peak="$(sort -n "$work/sse_rss.txt" | tail -1)"
awk -v n="$SSE_STREAMS" -v go=$((g_open - g0)) -v gl=$((g1 - g_open)) -v hz="$hz" -v t0="$t0" -v to="$t_open" -v t1="$t1" \
    -v r0="$rss0" -v ro="$rss_open" -v rp="${rss_peak:-0}" -v hwm="$(gw_status VmHWM)" -v th0="$threads0" \
    -v tho="$threads_open" -v th1="$(gw_status Threads)" -v l="$load" 'BEGIN {
  printf "   gateway: opening %d streams took %.2f s and %.2f s of CPU; then %.2f cores busy over %.1f s (streams, events and the POST/GET load)\n",
         n, to - t0, go / hz, gl / hz / (t1 - to), t1 - to
  printf "   gateway memory: VmRSS %.1f MB before, %.1f MB with the streams open (%.1f kB a stream), peak %.1f MB during the step; VmHWM %.1f MB (whole run)\n",
         r0 / 1024, ro / 1024, (ro - r0) / n, rp / 1024, hwm / 1024
  printf "   gateway threads: %d before, %d with the streams open, %d after; load average before %s\n", th0, tho, th1, l }'
if [ "$sse_rc" -ne 0 ] || [ "$sse_post_rc" -ne 0 ]; then
  echo "== SSE step FAILED: sse_streams exit $sse_rc, open_loop exit $sse_post_rc (see above)" >&2
  exit 1
fi
