// The statements the gateway runs besides the enqueue function (framework/migrations/0006).
// Jobs are rendered to JSON by PostgreSQL itself: one round trip, no row-to-JSON code here.
#pragma once

namespace aiw::gateway::sql {

// The public view of a job (docs/api.md). $1: the row alias is j.
#define AIW_JOB_JSON                                                                          \
  "jsonb_build_object('id', j.id, 'type', j.type, 'status', j.status, 'priority', j.priority, " \
  "'attempts', j.attempts, 'max_attempts', j.max_attempts, 'progress', j.progress, "          \
  "'result', j.result, 'error', j.error, 'cache_hit', j.cache_hit, 'run_by', j.run_by, "      \
  "'created_at', j.created_at, 'started_at', j.started_at, 'completed_at', j.completed_at, "  \
  "'processing_time_ms', j.processing_time_ms, 'timings', j.timings, "                        \
  "'queue_wait_ms', round(extract(epoch from (j.started_at - greatest(j.created_at, j.run_after))) * 1000), " \
  "'total_ms', round(extract(epoch from (j.completed_at - j.created_at)) * 1000))"

// $1 id, $2 user (null: the service role sees every job). Prepared on every database
// connection under kGetJobStatement.
inline constexpr const char* kGetJobStatement = "aiw_gateway_get_job";
inline constexpr const char* kGetJob =
    "select " AIW_JOB_JSON "::text from public.analysis_jobs j "
    "where j.id = $1::uuid and ($2::uuid is null or j.user_id = $2::uuid)";

// $1 user (null: all), $2 status, $3 type, $4 cursor created_at (text), $5 cursor id, $6 limit
inline constexpr const char* kListJobs =
    "select " AIW_JOB_JSON "::text, j.created_at::text, j.id::text from public.analysis_jobs j "
    "where ($1::uuid is null or j.user_id = $1::uuid) and ($2::text is null or j.status = $2) "
    "and ($3::text is null or j.type = $3) "
    "and ($4::timestamptz is null or (j.created_at, j.id) < ($4::timestamptz, $5::uuid)) "
    "order by j.created_at desc, j.id desc limit $6";

// Returns the job's status before (null: no such job of this user) and whether it was cancelled.
inline constexpr const char* kCancel = R"sql(
with target as (
  select id, status from public.analysis_jobs
   where id = $1::uuid and ($2::uuid is null or user_id = $2::uuid) for update
), upd as (
  update public.analysis_jobs j
     set status = 'cancelled', cancel_requested_at = now(), completed_at = now(),
         updated_at = now(), heartbeat_at = null
    from target t
   where j.id = t.id and t.status in ('pending', 'processing')
  returning j.id, t.status as old_status,
            case when t.status = 'processing' then pg_notify('aiw_jobs_cancel', j.id::text) end,
            pg_notify('aiw_job_events', j.id::text)
)
select (select status from target), (select count(*) from upd)
)sql";

// Failed or cancelled -> pending again, a fresh set of attempts; wakes the workers.
inline constexpr const char* kRetry = R"sql(
with target as (
  select id, status from public.analysis_jobs
   where id = $1::uuid and ($2::uuid is null or user_id = $2::uuid) for update
), upd as (
  update public.analysis_jobs j
     set status = 'pending', attempts = 0, result = null, error = null, progress = null,
         worker_id = null, run_after = now(), started_at = null, completed_at = null,
         cancel_requested_at = null, heartbeat_at = null, cache_hit = false, updated_at = now()
    from target t
   where j.id = t.id and t.status in ('failed', 'cancelled')
  returning j.id, j.type, pg_notify('aiw_job_events', j.id::text)
)
select (select status from target), (select count(*) from upd),
       (select pg_notify('aiw_jobs_pending', string_agg(type, ',')) from upd)
)sql";

// $1 type, $2 async_enabled (null: keep), $3 canary_percent (null: keep), $4 who
inline constexpr const char* kUpsertFlag = R"sql(
insert into public.aiw_flags (type, async_enabled, canary_percent, updated_by)
values ($1, coalesce($2::boolean, false), coalesce($3::int, 100), $4)
on conflict (type) do update
  set async_enabled = coalesce($2::boolean, aiw_flags.async_enabled),
      canary_percent = coalesce($3::int, aiw_flags.canary_percent),
      updated_at = now(), updated_by = $4
returning async_enabled, canary_percent
)sql";

// The dashboard's numbers, as one JSON document.
inline constexpr const char* kStats = R"sql(
select jsonb_build_object(
  'generated_at', now(),
  'counts', coalesce((select jsonb_agg(jsonb_build_object('type', type, 'status', status, 'count', n) order by type, status)
                        from (select type, status, count(*) n from public.analysis_jobs group by 1, 2) c), '[]'),
  'per_type', coalesce((select jsonb_agg(to_jsonb(p) order by p.type) from (
      select type,
        count(*) filter (where status = 'completed' and completed_at > now() - interval '1 minute') as completed_last_minute,
        count(*) filter (where status = 'completed') as completed_last_hour,
        count(*) filter (where status = 'failed') as failed_last_hour,
        count(*) filter (where attempts > 1) as retried_last_hour,
        percentile_cont(0.95) within group (order by processing_time_ms) filter (where status = 'completed') as p95_processing_ms,
        round(avg(processing_time_ms) filter (where status = 'completed')) as mean_processing_ms,
        percentile_cont(0.95) within group (order by extract(epoch from completed_at - created_at) * 1000) filter (where status = 'completed') as p95_total_ms,
        round(count(*) filter (where status = 'failed')::numeric / nullif(count(*), 0), 4) as error_rate,
        round(count(*) filter (where attempts > 1)::numeric / nullif(count(*), 0), 4) as retry_rate
      from public.analysis_jobs
     where completed_at > now() - interval '1 hour' and status in ('completed', 'failed')
     group by type) p), '[]'),
  'workers', coalesce((select jsonb_agg(jsonb_build_object('id', id, 'host', host, 'types', types, 'status', status,
        'in_flight', in_flight, 'concurrency', concurrency, 'heartbeat_at', heartbeat_at,
        'alive', status <> 'stopped' and heartbeat_at > now() - lease_ms * interval '1 millisecond') order by id)
      from public.aiw_workers), '[]'))::text
)sql";

}  // namespace aiw::gateway::sql
