-- The claim, pinned to its index walk; one index fewer on every claim. bench/README.md "Queue"
-- has the measurements.
--
-- Claims read pending rows by priority then age, which analysis_jobs_claimable_idx holds in
-- that order: walking it stops after the batch. But right after a bulk enqueue the statistics
-- still say "almost no pending rows" (autovacuum analyzes up to a minute later), and the
-- planner then preferred another index and sorted every pending row on each claim: 36-107 ms
-- per claim of 500 with 20,000-100,000 pending, against under 1 ms for the walk, so a burst
-- drained at a fraction of the speed. The statement lives in a function so it can run with
-- enable_sort off: the walk is the only plan without a sort, whatever the statistics say.
-- JobStore::claim (framework/src/queue/sql.h) calls it.
create or replace function public.aiw_claim_jobs(types text[], max_jobs int, worker text)
returns table (id text, type text, input text, user_id text, attempt int, max_attempts int,
               priority int, queue_wait_ms double precision)
language plpgsql volatile
set enable_sort = off
as $$
#variable_conflict use_column
begin
  -- PL/pgSQL keeps the plan between calls (an SQL function would plan it on every claim).
  return query
  update public.analysis_jobs j
     set status = 'processing', attempts = j.attempts + 1, worker_id = worker, started_at = now(),
         heartbeat_at = now(), updated_at = now(), completed_at = null, progress = null
   -- An array, not a join: the rows are then fetched by primary key, never by a hash join over
   -- the whole table (which the planner picks with the same stale statistics).
   where j.id = any(array(
     select p.id from public.analysis_jobs p
      where p.status = 'pending' and p.type = any(types) and p.run_after <= now()
      order by p.priority, p.created_at
      limit max_jobs
      for update skip locked))
  returning j.id::text, j.type, j.input::text, j.user_id::text, j.attempts, j.max_attempts,
            j.priority,
            (extract(epoch from clock_timestamp() - greatest(j.created_at, j.run_after)) * 1000)::float8;
end
$$;

-- Nothing looks processing rows up by worker_id alone: heartbeats and outcomes go by id, the
-- reaper by status (analysis_jobs_active_user_idx or the (status, priority, created_at) index).
drop index if exists public.analysis_jobs_processing_idx;
