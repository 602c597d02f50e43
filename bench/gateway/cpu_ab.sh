#!/usr/bin/env bash
# The gateway's CPU per request, builds side by side (bench/README.md, "The gateway's CPU per
# request"): one durable PostgreSQL set up as run.sh does, then for each round each build's
# `aiw gateway` in turn under open_loop at RATE POST/s + GET_RATE GET/s; prints the gateway's
# utime + stime over the step divided by the responses it counted (/metrics), and open_loop's
# POST line. Alternating rounds, because a shared machine drifts by more than a change.
#   bench/gateway/cpu_ab.sh LABEL=BUILD-DIR LABEL=BUILD-DIR ...
# Settings (environment): ROUNDS (2), RATE (3000), DURATION (20 s), WARMUP (3 s, counted too),
# GET_RATE (500), PG_PORT, GW_PORT; PROFILE_CMD (unset): run after PROFILE_DELAY (5) s of each
# step with GW (the gateway's pid) and LABEL set, e.g.
#   PROFILE_CMD='perf record -g -o /tmp/perf-$LABEL.data -p $GW -- sleep 8'
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
ROUNDS="${ROUNDS:-2}"; RATE="${RATE:-3000}"; DURATION="${DURATION:-20}"; WARMUP="${WARMUP:-3}"; GET_RATE="${GET_RATE:-500}"
PG_PORT="${PG_PORT:-55590}"; GW_PORT="${GW_PORT:-3190}"; USERS=1000
SECRET="gateway-bench-secret-at-least-32-bytes-long"
pgdir="$(mktemp -d /tmp/gwab-pg-XXXXXX)"; work="$(mktemp -d /tmp/gwab-w-XXXXXX)"
gw_pid=""
cleanup() { [ -n "$gw_pid" ] && { kill -TERM "$gw_pid" 2>/dev/null; wait "$gw_pid" 2>/dev/null; }; bash "$root/packaging/local-postgres.sh" stop "$pgdir" || true; rm -rf "$pgdir" "$work"; }
trap cleanup EXIT
export DATABASE_URL="$(bash "$root/packaging/local-postgres.sh" start "$pgdir" "$PG_PORT")"
first="${1#*=}"
"$first/bin/aiw" migrate >/dev/null
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
psql -c "alter system set min_wal_size = '1GB'" -c "select pg_reload_conf()" >/dev/null
psql -At -c "insert into auth.users (id) select gen_random_uuid() from generate_series(1, $USERS) returning id" | grep -E '^[0-9a-f-]{36}$' >"$work/users.txt"
psql -c "insert into aiw_workers (id, host, pid, types, concurrency, lease_ms, version) values ('bench/registered-only', 'bench', 0, '{noop}', 0, 86400000, 'bench')"
hz="$(getconf CLK_TCK)"
responses() { curl -sf "http://127.0.0.1:$GW_PORT/metrics" | awk '/^aiw_gateway_responses_total/ { s += $NF } END { print s + 0 }'; }
for round in $(seq "$ROUNDS"); do
  for spec in "$@"; do
    label="${spec%%=*}"; b="${spec#*=}"
    PORT="$GW_PORT" SUPABASE_JWT_SECRET="$SECRET" GATEWAY_ASYNC_DEFAULT=true GATEWAY_IO_THREADS=1 \
      RATE_LIMIT_PER_MINUTE=1000000000 MAX_ACTIVE_JOBS_PER_USER=0 LOG_LEVEL=warn AIW_PLUGIN_PATH="$b/lib/aiw/plugins" \
      "$b/bin/aiw" gateway --pipelines "$root/bench/gateway/pipelines" >"$work/gw-$label.log" 2>&1 &
    gw_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GW_PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 2
    psql -c "truncate analysis_jobs" 2>/dev/null; psql -c "checkpoint"
    r0="$(responses)"; c0="$(awk '{print $14+$15}' /proc/$gw_pid/stat)"; u0="$(awk '{print $14}' /proc/$gw_pid/stat)"
    if [ -n "${PROFILE_CMD:-}" ]; then ( sleep "${PROFILE_DELAY:-5}"; GW=$gw_pid LABEL=$label ROUND=$round bash -c "$PROFILE_CMD" ) & prof=$!; else prof=""; fi
    "$b/bin/open_loop" --port "$GW_PORT" --secret "$SECRET" --users "$work/users.txt" --rate "$RATE" \
      --get-rate "$GET_RATE" --duration "$DURATION" --warmup "$WARMUP" --connections 1000 >"$work/step.txt"
    c1="$(awk '{print $14+$15}' /proc/$gw_pid/stat)"; u1="$(awk '{print $14}' /proc/$gw_pid/stat)"; r1="$(responses)"
    if [ -n "$prof" ]; then wait "$prof" || true; fi
    post="$(grep -m1 '^POST' "$work/step.txt" | sed -E 's/ +/ /g')"
    awk -v l="$label" -v rd="$round" -v c=$((c1-c0)) -v u=$((u1-u0)) -v n=$((r1-r0-1)) -v hz="$hz" -v p="$post" \
      'BEGIN { printf "%s round %d: requests %d cpu %.2f s (user %.2f sys %.2f) => %.1f us/request | %s\n", l, rd, n, c/hz, u/hz, (c-u)/hz, 1e6*c/hz/n, p }'
    kill -TERM "$gw_pid"; wait "$gw_pid" 2>/dev/null || true; gw_pid=""
    sleep 1
  done
done
