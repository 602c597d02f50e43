-- The job queue: one row per job, from enqueue to its final status (MISSION.md "Data model").
-- Columns past completed_at are what the design adds: backoff (run_after), liveness
-- (heartbeat_at), progress for clients, cancel requests, and who ran the job.
create table if not exists public.analysis_jobs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Checked against the registered pipelines by the gateway, not here: a new job type is a
  -- YAML file, never a schema change.
  type text not null check (type ~ '^[a-z][a-z0-9_]{0,62}$'),
  input jsonb not null default '{}',
  status text not null default 'pending'
    check (status in ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  priority int not null default 5 check (priority between 1 and 10),  -- 1 highest
  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 3 check (max_attempts >= 1),
  result jsonb,
  error text,
  processing_time_ms int,
  worker_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz,
  run_after timestamptz not null default now(),   -- not claimable before (retry backoff)
  heartbeat_at timestamptz,                       -- beaten by the worker while processing
  progress jsonb,                                 -- {"stage": "detect", "percent": 40}
  cancel_requested_at timestamptz,
  run_by text not null default 'worker' check (run_by in ('worker', 'gateway')),
  cache_hit boolean not null default false,
  timings jsonb                                   -- per-stage timings of the last run
);

-- The three indexes MISSION.md asks for.
create index if not exists analysis_jobs_status_priority_created_idx
  on public.analysis_jobs (status, priority, created_at);
create index if not exists analysis_jobs_user_created_idx
  on public.analysis_jobs (user_id, created_at desc);
create index if not exists analysis_jobs_type_status_idx
  on public.analysis_jobs (type, status);
-- What the queue reads on every claim: only pending rows, in claim order. Small because it
-- holds pending rows only, whatever the table's history.
create index if not exists analysis_jobs_claimable_idx
  on public.analysis_jobs (priority, created_at) where status = 'pending';
-- Heartbeats, the reaper and drains look up processing rows by worker.
create index if not exists analysis_jobs_processing_idx
  on public.analysis_jobs (worker_id) where status = 'processing';
-- The per-user limit counts active rows of one user.
create index if not exists analysis_jobs_active_user_idx
  on public.analysis_jobs (user_id) where status in ('pending', 'processing');
-- Retention deletes old finished rows.
create index if not exists analysis_jobs_finished_idx
  on public.analysis_jobs (completed_at) where status in ('completed', 'failed', 'cancelled');

-- Every job is updated twice (claim, outcome): vacuum early so dead tuples do not pile up, and
-- leave room on each page for the new versions.
alter table public.analysis_jobs set (
  fillfactor = 80,
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_vacuum_cost_delay = 0);

-- At most N active (pending + processing) jobs per user, atomically: a per-user advisory lock
-- held to commit serialises that user's inserts, so the count cannot race. N comes from the
-- setting aiw.max_active_jobs_per_user (default 10; 0 = no limit), e.g.
--   alter database mydb set aiw.max_active_jobs_per_user = 20;
create or replace function public.aiw_enforce_active_job_limit() returns trigger
language plpgsql as $$
declare
  max_active int := coalesce(nullif(current_setting('aiw.max_active_jobs_per_user', true), '')::int, 10);
  active int;
begin
  if max_active <= 0 then
    return new;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('aiw.active_jobs:' || new.user_id::text, 0));
  select count(*) into active from public.analysis_jobs
    where user_id = new.user_id and status in ('pending', 'processing');
  if active >= max_active then
    raise exception 'user % already has % active jobs (pending or processing), the most allowed; wait for one to finish or cancel one',
      new.user_id, active
      using errcode = 'AIW01', hint = 'aiw.max_active_jobs_per_user is ' || max_active;
  end if;
  return new;
end
$$;

-- WHEN clauses keep the function off the hot path: claims and outcomes never call it.
drop trigger if exists analysis_jobs_active_limit on public.analysis_jobs;
drop trigger if exists analysis_jobs_active_limit_insert on public.analysis_jobs;
create trigger analysis_jobs_active_limit_insert
  before insert on public.analysis_jobs
  for each row when (new.status in ('pending', 'processing'))
  execute function public.aiw_enforce_active_job_limit();
drop trigger if exists analysis_jobs_active_limit_reactivate on public.analysis_jobs;
create trigger analysis_jobs_active_limit_reactivate
  before update of status on public.analysis_jobs
  for each row when (old.status not in ('pending', 'processing')
                     and new.status in ('pending', 'processing'))
  execute function public.aiw_enforce_active_job_limit();

-- Wake idle workers: one NOTIFY per inserting statement, never one per row (NOTIFY takes a
-- database-wide lock at commit; see DESIGN.md "Queue"). The payload lists the job types, so a
-- worker that serves none of them stays asleep.
create or replace function public.aiw_notify_pending_jobs() returns trigger
language plpgsql as $$
declare
  types text;
begin
  select string_agg(distinct type, ',') into types from new_rows where status = 'pending';
  if types is not null then
    perform pg_notify('aiw_jobs_pending', types);
  end if;
  return null;
end
$$;

drop trigger if exists analysis_jobs_notify_pending on public.analysis_jobs;
create trigger analysis_jobs_notify_pending
  after insert on public.analysis_jobs
  referencing new table as new_rows
  for each statement execute function public.aiw_notify_pending_jobs();

-- Row-level security: a user reads only their own jobs; the service role does everything.
alter table public.analysis_jobs enable row level security;
drop policy if exists analysis_jobs_select_own on public.analysis_jobs;
create policy analysis_jobs_select_own on public.analysis_jobs
  for select to authenticated using (auth.uid() = user_id);
drop policy if exists analysis_jobs_service_role_all on public.analysis_jobs;
create policy analysis_jobs_service_role_all on public.analysis_jobs
  for all to service_role using (true) with check (true);
grant select on public.analysis_jobs to authenticated;
grant all on public.analysis_jobs to service_role;
