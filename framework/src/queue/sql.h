// The statements JobStore runs. After a statement that changes jobs a client may be watching
// (claim, outcome, progress) commits, JobStore sends one NOTIFY aiw_job_events per 200 changed
// ids (never one per row) in a statement of its own (kNotify): the gateway's Server-Sent Events
// follow them. Not inside the write: a transaction that notifies holds a database-wide lock
// through its commit's flush (migration 0008_notify_after_commit). Batches travel as one JSON
// (or array) parameter, so each statement handles any number of jobs in one round trip and
// stays prepared.
//
// Statements that act on jobs by id fence them with `(status = 'processing') is true`, not
// `status = 'processing'`: the same test, but no index can answer it, so the rows can only be
// found by primary key. With the statistics of a fresh burst ("no processing rows") the planner
// otherwise walked every 'processing' entry of the status index (live ones and the dead ones
// each claim leaves behind) and filtered by id, or AND-ed that walk with the primary key's
// bitmap: a third of the outcome writer's CPU in the queue benchmark.
#pragma once

namespace aiw::queue::sql {

inline constexpr const char* kEnqueue = R"sql(
insert into public.analysis_jobs (user_id, type, input, priority, max_attempts, run_after, run_by)
select (e.j->>'user_id')::uuid, e.j->>'type', e.j->'input', (e.j->>'priority')::int,
       (e.j->>'max_attempts')::int,
       now() + (e.j->>'delay_ms')::bigint * interval '1 millisecond', e.j->>'run_by'
  from jsonb_array_elements($1::jsonb) with ordinality as e(j, ord)
 order by e.ord
returning id::text
)sql";

// Priority, then age; SKIP LOCKED lets many workers claim side by side. The claim itself is the
// function aiw_claim_jobs (migration 0005), which pins the plan to the walk of
// the status index (status, priority, created_at) whatever the statistics say (see there why,
// and 0009_one_claim_index).
inline constexpr const char* kClaim = R"sql(
select id, type, input, user_id, attempt, max_attempts, priority, queue_wait_ms
  from public.aiw_claim_jobs($1::text[], $2::int, $3::text)
)sql";

// Every outcome kind in one fenced statement; completed results also fill the cache. Returns
// each landed job's type and kind: JobStore then wakes the workers for given-back jobs.
// The batch is parsed once (materialized) and the rows are found by primary key: with the
// statistics of a fresh burst ("one processing row") the planner otherwise nested-looped over
// the processing rows and parsed the whole JSON batch again for each (O(n^2): 550-670 ms for
// a batch of 500 under load, against ~60 ms now).
inline constexpr const char* kWriteOutcomes = R"sql(
with v as materialized (
  select * from jsonb_to_recordset($1::jsonb) as v(
    id uuid, attempt int, kind text, result jsonb, error text, ms bigint, delay_ms bigint,
    timings jsonb, cache_hit bool, cache_key text, ttl_s bigint)
), done as (
  update public.analysis_jobs j set
    status = case v.kind when 'completed' then 'completed' when 'failed' then 'failed'
                         else 'pending' end,
    result = case when v.kind = 'completed' then v.result end,
    error = case v.kind when 'completed' then null when 'give_back' then j.error else v.error end,
    processing_time_ms = case when v.kind = 'give_back' then j.processing_time_ms else v.ms end,
    timings = coalesce(v.timings, j.timings),
    cache_hit = v.cache_hit,
    attempts = case when v.kind = 'give_back' then j.attempts - 1 else j.attempts end,
    worker_id = case when v.kind in ('retry', 'give_back') then null else j.worker_id end,
    run_after = case v.kind when 'retry' then now() + v.delay_ms * interval '1 millisecond'
                            when 'give_back' then now() else j.run_after end,
    completed_at = case when v.kind in ('completed', 'failed') then now() end,
    progress = case when v.kind = 'completed' then '{"percent": 100}'::jsonb else j.progress end,
    heartbeat_at = null,
    updated_at = now()
  from v
  where j.id = any(array(select v.id from v)) and j.id = v.id
    and (j.status = 'processing') is true and j.worker_id = $2 and j.attempts = v.attempt
  returning j.id, j.type, v.kind, v.cache_key, v.ttl_s, v.result
), cached as (
  insert into public.analysis_cache (cache_key, type, response, expires_at)
  select cache_key, type, result, now() + ttl_s * interval '1 second'
    from done where kind = 'completed' and cache_key is not null and result is not null
  on conflict (cache_key) do update
    set response = excluded.response, expires_at = excluded.expires_at, created_at = now()
)
select id::text, type, kind from done
)sql";

inline constexpr const char* kWriteProgress = R"sql(
update public.analysis_jobs j set progress = v.progress, updated_at = now()
  from jsonb_to_recordset($1::jsonb) as v(id uuid, attempt int, progress jsonb)
 where j.id = v.id and (j.status = 'processing') is true and j.worker_id = $2
   and j.attempts = v.attempt
returning j.id::text
)sql";

// The worker's row and its jobs' heartbeats in one statement; returns the in-flight ids that
// are no longer this worker's (cancelled, reaped), which the worker then aborts.
// Rows locked right now are skipped, not waited for: they are the outcome writer's (or a
// cancel's), and waiting would lock the same rows as the writer in another order, a deadlock
// (seen under load: the writer lost its batch after deadlock_timeout). Whether a job is still
// this worker's is read from the statement's snapshot, so a skipped row is not taken for lost.
inline constexpr const char* kHeartbeat = R"sql(
with w as (
  insert into public.aiw_workers (id, host, pid, types, concurrency, in_flight, status, lease_ms, version)
  values ($1, $2, $3, $4::text[], $5, $6, $7, $8, $9)
  on conflict (id) do update set host = excluded.host, pid = excluded.pid, types = excluded.types,
    concurrency = excluded.concurrency, in_flight = excluded.in_flight, status = excluded.status,
    lease_ms = excluded.lease_ms, version = excluded.version, heartbeat_at = now()
), free as (
  select id from public.analysis_jobs
   where id = any($10::uuid[]) and (status = 'processing') is true and worker_id = $1
   for update skip locked
), beat as (
  update public.analysis_jobs j set heartbeat_at = now() from free where j.id = free.id
)
select mine.id::text from unnest($10::uuid[]) as mine(id)
 where not exists (select 1 from public.analysis_jobs j
                    where j.id = mine.id and (j.status = 'processing') is true
                      and j.worker_id = $1)
)sql";

// Any 64-bit constant works; this one spells "aiw reap".
inline constexpr const char* kReaperLock = "select pg_try_advisory_xact_lock(7019266486767542640)";

// Jobs whose worker is gone (no row, stopped, or its beat older than its lease), and jobs that
// ran past the stuck timeout plus the worker's lease (their worker should have aborted them).
inline constexpr const char* kReap = R"sql(
with lost as (
  select j.id, (j.started_at < now() - $1::bigint * interval '1 millisecond') as stuck
    from public.analysis_jobs j
    left join public.aiw_workers w on w.id = j.worker_id
   where j.status = 'processing'
     and (w.id is null or w.status = 'stopped'
          or w.heartbeat_at < now() - w.lease_ms * interval '1 millisecond'
          -- a job its live worker stopped beating: the claim's answer was lost on the way
          or j.heartbeat_at < now() - w.lease_ms * interval '1 millisecond'
          or j.started_at < now() - ($1::bigint + w.lease_ms) * interval '1 millisecond')
   for update of j skip locked
)
update public.analysis_jobs j set
  status = case when j.attempts >= j.max_attempts then 'failed' else 'pending' end,
  error = case when lost.stuck
            then format('the job ran longer than WORKER_STUCK_JOB_TIMEOUT_MS (%s ms) on worker %s (attempt %s of %s)',
                        $1::bigint, j.worker_id, j.attempts, j.max_attempts)
            else format('worker %s stopped responding while running this job (attempt %s of %s)',
                        j.worker_id, j.attempts, j.max_attempts) end,
  worker_id = null, run_after = now(), heartbeat_at = null, updated_at = now(),
  completed_at = case when j.attempts >= j.max_attempts then now() end
  from lost
 where j.id = lost.id
returning j.id::text, j.type, j.status
)sql";

// One NOTIFY per payload, sent after the write it announces has committed (see the top).
inline constexpr const char* kNotify = "select pg_notify($1, p) from unnest($2::text[]) as p";

inline constexpr const char* kPruneStoppedWorkers =
    "delete from public.aiw_workers where heartbeat_at < now() - interval '1 day'";

// Pending -> cancelled at once; processing -> cancelled and its worker told to abort.
inline constexpr const char* kCancel = R"sql(
update public.analysis_jobs j
   set status = 'cancelled', cancel_requested_at = now(), completed_at = now(), updated_at = now(),
       heartbeat_at = null
  from (select id, status as old_status from public.analysis_jobs where id = $1::uuid for update) old
 where j.id = old.id and old.old_status in ('pending', 'processing')
returning j.id::text, old.old_status,
          case when old.old_status = 'processing' then pg_notify('aiw_jobs_cancel', j.id::text) end,
          pg_notify('aiw_job_events', j.id::text)
)sql";

inline constexpr const char* kCacheLookup = R"sql(
update public.analysis_cache set hit_count = hit_count + 1, last_hit_at = now()
 where cache_key = any($1::text[]) and expires_at > now()
returning cache_key, response::text
)sql";

// Small batches in claim order of their own: no long locks, no bloat spike.
inline constexpr const char* kPruneFinished = R"sql(
delete from public.analysis_jobs where id in (
  select id from public.analysis_jobs
   where status in ('completed', 'failed', 'cancelled')
     and completed_at < now() - $1::bigint * interval '1 millisecond'
   order by completed_at limit $2 for update skip locked)
)sql";

inline constexpr const char* kPruneCache = R"sql(
delete from public.analysis_cache where id in (
  select id from public.analysis_cache where expires_at < now() limit $1 for update skip locked)
)sql";

}  // namespace aiw::queue::sql
